//! The `Store` methods written once, as a macro each backend expands inside its `impl Store`.
//! Apart from [`crate::row`] so that the query interface does not depend on the queries.

/// The `Store` methods written once over [`Query`] and [`Writes`], expanded inside each
/// backend's `impl Store` (a trait cannot take them as default methods: `Store` is
/// object-safe and `Query` is not).
macro_rules! written_once {
    () => {
        fn set_load_access(
            &mut self,
            load_id: i64,
            access: &$crate::LoadAccess,
            changed_at: &str,
            changed_by: &str,
        ) -> $crate::Result<$crate::AccessRule> {
            $crate::access::set(self, load_id, access, changed_at, changed_by)
        }

        fn sync_indicators(&mut self, indicators: &[kwm_model::Indicator]) -> $crate::Result<()> {
            $crate::load_sql::sync_indicators(self, indicators)
        }

        fn set_missing_parents(
            &mut self,
            parents: &[(kwm_model::RegionCode, i32, kwm_model::RegionCode)],
        ) -> $crate::Result<usize> {
            $crate::load_sql::set_missing_parents(self, parents)
        }

        fn replace_derived_changes(
            &mut self,
            level: kwm_model::Level,
            derivations: &[($crate::LayoutDerivation, Vec<kwm_model::RegionChange>)],
        ) -> $crate::Result<()> {
            $crate::time_sql::replace_derived_changes(self, level, derivations)
        }

        fn access_rules(&self) -> $crate::Result<Vec<$crate::AccessRule>> {
            $crate::access::rules(self)
        }

        fn tokens(&self) -> $crate::Result<Vec<$crate::TokenRecord>> {
            $crate::access::tokens(self)
        }

        fn token_by_hash(&self, hash: &str) -> $crate::Result<Option<$crate::TokenRecord>> {
            $crate::access::token_by_hash(self, hash)
        }

        fn audit_log(&self) -> $crate::Result<Vec<$crate::AuditEntry>> {
            $crate::access::audit_log(self)
        }

        fn indicators(&self) -> $crate::Result<Vec<$crate::IndicatorRecord>> {
            $crate::load_sql::indicators(self)
        }

        fn indicator(&self, id: &str) -> $crate::Result<Option<$crate::IndicatorRecord>> {
            $crate::load_sql::indicator(self, id)
        }

        fn loads(&self) -> $crate::Result<Vec<$crate::LoadRecord>> {
            $crate::load_sql::loads(self)
        }

        fn regions(
            &self,
            level: kwm_model::Level,
            layout: i32,
        ) -> $crate::Result<Vec<$crate::RegionRecord>> {
            $crate::region_sql::of_layout(self, level, layout)
        }

        fn child_regions(
            &self,
            parent: &kwm_model::RegionCode,
            layout: i32,
        ) -> $crate::Result<Vec<$crate::RegionRecord>> {
            $crate::region_sql::children(self, parent, layout)
        }

        fn region(
            &self,
            code: &kwm_model::RegionCode,
            layout: i32,
        ) -> $crate::Result<Option<$crate::RegionRecord>> {
            $crate::region_sql::region(self, code, layout)
        }

        fn layouts(&self, level: kwm_model::Level) -> $crate::Result<Vec<i32>> {
            $crate::region_sql::layouts(self, level)
        }

        fn boundary_layouts(&self, level: kwm_model::Level) -> $crate::Result<Vec<i32>> {
            $crate::region_sql::boundary_layouts(self, level)
        }

        fn boundaries(
            &self,
            level: kwm_model::Level,
            layout: i32,
        ) -> $crate::Result<Vec<$crate::BoundaryRecord>> {
            $crate::region_sql::boundaries(self, level, layout)
        }

        fn periods(&self, level: kwm_model::Level) -> $crate::Result<Vec<i32>> {
            $crate::figures::column(
                self,
                $crate::figures::PERIODS_AT_LEVEL,
                &[&level.as_str()],
                "reading periods",
            )
        }

        fn indicator_ids_at(
            &self,
            level: kwm_model::Level,
            period: i32,
        ) -> $crate::Result<Vec<String>> {
            $crate::figures::column(
                self,
                $crate::figures::INDICATORS_AT,
                &[&level.as_str(), &period],
                "reading indicator ids",
            )
        }

        fn region_periods(&self, code: &kwm_model::RegionCode) -> $crate::Result<Vec<i32>> {
            $crate::figures::column(
                self,
                $crate::figures::REGION_PERIODS,
                &[&code.as_str()],
                "reading region periods",
            )
        }

        fn observations(
            &self,
            indicator: &str,
            level: kwm_model::Level,
            period: i32,
        ) -> $crate::Result<Vec<$crate::ObservationRecord>> {
            $crate::figures::observations(
                self,
                $crate::figures::OF_INDICATOR,
                &[&indicator, &level.as_str(), &period],
            )
        }

        fn observations_at(
            &self,
            level: kwm_model::Level,
            period: i32,
        ) -> $crate::Result<Vec<$crate::ObservationRecord>> {
            $crate::figures::observations(
                self,
                $crate::figures::AT_LEVEL,
                &[&level.as_str(), &period],
            )
        }

        fn region_observations(
            &self,
            code: &kwm_model::RegionCode,
            period: i32,
        ) -> $crate::Result<Vec<$crate::ObservationRecord>> {
            $crate::figures::observations(
                self,
                $crate::figures::OF_REGION,
                &[&code.as_str(), &period],
            )
        }

        fn breakdown_observations(
            &self,
            indicator: &str,
            region: &kwm_model::RegionCode,
            period: i32,
        ) -> $crate::Result<Vec<$crate::ObservationRecord>> {
            $crate::figures::observations(
                self,
                $crate::figures::BREAKDOWNS,
                &[&indicator, &region.as_str(), &period],
            )
        }

        fn breakdown_cell_observations(
            &self,
            indicator: &str,
            level: kwm_model::Level,
            period: i32,
            breakdown: &str,
        ) -> $crate::Result<Vec<$crate::ObservationRecord>> {
            $crate::figures::observations(
                self,
                $crate::figures::CELL,
                &[&indicator, &level.as_str(), &period, &breakdown],
            )
        }

        fn rank_states(&self) -> $crate::Result<Vec<$crate::RankState>> {
            $crate::figures::rank_states(self)
        }

        fn region_ranks(
            &self,
            code: &kwm_model::RegionCode,
            period: i32,
        ) -> $crate::Result<Vec<$crate::RegionRank>> {
            $crate::figures::region_ranks(self, code, period)
        }

        fn boundary_codes(
            &self,
            level: kwm_model::Level,
            layout: i32,
        ) -> $crate::Result<Vec<kwm_model::RegionCode>> {
            $crate::time_sql::boundary_codes(self, level, layout)
        }

        fn region_changes(
            &self,
            level: Option<kwm_model::Level>,
        ) -> $crate::Result<Vec<$crate::ChangeRecord>> {
            $crate::time_sql::region_changes(self, level)
        }

        fn layout_derivations(
            &self,
            level: kwm_model::Level,
        ) -> $crate::Result<Vec<$crate::LayoutDerivation>> {
            $crate::time_sql::layout_derivations(self, level)
        }

        fn layout_summaries(&self) -> $crate::Result<Vec<$crate::LayoutSummary>> {
            $crate::time_sql::layout_summaries(self)
        }

        fn harmonisations(&self) -> $crate::Result<Vec<$crate::HarmonisationRecord>> {
            $crate::time_sql::harmonisations(self)
        }

        fn harmonised(
            &self,
            target: i32,
            indicator: &str,
            level: kwm_model::Level,
        ) -> $crate::Result<Vec<$crate::HarmonisedRecord>> {
            $crate::time_sql::harmonised_of(self, target, indicator, level)
        }

        fn harmonised_indicator_ids(
            &self,
            target: i32,
            region: &kwm_model::RegionCode,
        ) -> $crate::Result<Vec<String>> {
            $crate::time_sql::harmonised_indicator_ids(self, target, region)
        }

        fn risk_runs(&self) -> $crate::Result<Vec<$crate::RiskRunRecord>> {
            $crate::risk_sql::runs(self)
        }

        fn risk_run(
            &self,
            level: kwm_model::Level,
            period: i32,
            region: Option<&kwm_model::RegionCode>,
        ) -> $crate::Result<Option<$crate::RiskRun>> {
            $crate::risk_sql::run(self, level, period, region, true)
        }

        fn risk_run_flags(
            &self,
            level: kwm_model::Level,
            period: i32,
        ) -> $crate::Result<Option<$crate::RiskRun>> {
            $crate::risk_sql::run(self, level, period, None, false)
        }

        fn risk_clusters(
            &self,
            level: kwm_model::Level,
            period: i32,
            variable: Option<&str>,
            statistic: Option<&str>,
            region: Option<&kwm_model::RegionCode>,
        ) -> $crate::Result<Vec<$crate::RiskClusterRecord>> {
            $crate::risk_sql::clusters(self, level, period, variable, statistic, region)
        }
    };
}
