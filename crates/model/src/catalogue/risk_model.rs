//! The risk model's four files read together ([`RiskModel::parse`]): `method.toml`,
//! `characteristics.toml`, `themes.toml`, `groups.toml`.

use super::diag::Ctx;
use super::{CatalogueError, CatalogueFile, CatalogueIndicator};
use crate::risk::RiskModel;

use super::characteristics::parse_factors;
use super::groups::parse_groups;
use super::method::parse_method;
use super::themes::parse_themes;

impl RiskModel {
    /// Parses and validates the risk files among `files`, checking indicator references against
    /// the catalogue's indicators. Missing files leave their part empty.
    pub fn parse(
        files: &[CatalogueFile],
        indicators: &[CatalogueIndicator],
    ) -> Result<RiskModel, CatalogueError> {
        let find = |name: &str| files.iter().find(|f| f.name == name);
        let mut model = RiskModel::default();
        if let Some(file) = find("method.toml") {
            model.method = parse_method(&Ctx { file })?;
        }
        if let Some(file) = find("characteristics.toml") {
            let (risk, protective) = parse_factors(&Ctx { file }, indicators)?;
            model.characteristics = risk;
            model.protective = protective;
        }
        if let Some(file) = find("themes.toml") {
            let (themes, matrix) = parse_themes(&Ctx { file }, &model.characteristics)?;
            model.themes = themes;
            model.matrix = matrix;
        }
        if let Some(file) = find("groups.toml") {
            let (groups, candidates) = parse_groups(&Ctx { file }, &model, indicators)?;
            model.groups = groups;
            model.candidates = candidates;
        }
        Ok(model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::{
        AggregationChoice, ClusterAlternative, ClusterParams, CompositeMethod, MethodParams,
        NormalisationChoice, WeightingChoice,
    };
    use crate::Indicator;
    use crate::{Direction, IndicatorId, Level};

    fn indicator(id: &str, direction: Direction) -> CatalogueIndicator {
        CatalogueIndicator {
            indicator: Indicator {
                id: IndicatorId::new(id).unwrap(),
                label_nl: id.into(),
                label_en: id.into(),
                unit: "%".into(),
                direction,
                source: "test".into(),
                decimals: 1,
                description: String::new(),
                additive: false,
                curated: true,
            },
            source_id: "t".into(),
            population_code: None,
            keys: vec![],
            population: String::new(),
            labels: vec![],
            relation: None,
        }
    }

    fn indicators() -> Vec<CatalogueIndicator> {
        vec![
            indicator("a_worse", Direction::HigherIsWorse),
            indicator("b_better", Direction::HigherIsBetter),
            indicator("c_count", Direction::Neutral),
            indicator("d_total", Direction::Neutral),
        ]
    }

    const FACTORS: &str = r#"
[[characteristic]]
id = "buffer"
label_nl = "Kleine financiële buffer"

[[characteristic.definition]]
levels = ["gemeente", "ggd"]
population = "jongvolwassenen 16–25 jaar"
terms = [
  { indicator = "a_worse", weight = 0.5 },
  { indicator = "b_better", weight = 0.5 },
]

[[characteristic]]
id = "leeftijd"
label_nl = "Leeftijd"

[[characteristic.definition]]
levels = ["gemeente"]
population = "alle inwoners"
terms = [{ indicator = "c_count", per = "d_total", weight = 1, direction = "higher_is_worse" }]

[[protective_factor]]
id = "steun"
label_nl = "Sociale steun"
"#;

    const THEMES: &str = r#"
[[theme]]
id = "fysiek"
label_nl = "Fysieke gezondheid"

[[theme]]
id = "psychisch"
label_nl = "Psychische gezondheid"

[matrix]
themes = ["psychisch", "fysiek"]

[matrix.rows]
buffer   = [2, 1]
leeftijd = [3, 0]
"#;

    fn files(pairs: &[(&str, &str)]) -> Vec<CatalogueFile> {
        pairs
            .iter()
            .map(|(n, t)| CatalogueFile {
                name: (*n).into(),
                text: (*t).into(),
            })
            .collect()
    }

    fn parse(pairs: &[(&str, &str)]) -> Result<RiskModel, CatalogueError> {
        RiskModel::parse(&files(pairs), &indicators())
    }

    #[test]
    fn a_valid_model_resolves_directions_shares_and_matrix_columns() {
        let m = parse(&[("characteristics.toml", FACTORS), ("themes.toml", THEMES)]).unwrap();
        assert_eq!(m.characteristics.len(), 2);
        assert_eq!(m.protective.len(), 1);
        let buffer = m.factor("buffer").unwrap();
        let def = buffer.definition_at(Level::Ggd, 2024).unwrap();
        assert_eq!(
            def.terms[1].direction,
            Direction::HigherIsBetter,
            "inherited"
        );
        assert!(buffer.definition_at(Level::Wijk, 2024).is_none(), "a gap");
        let age = &m.factor("leeftijd").unwrap().definitions[0].terms[0];
        assert_eq!(age.per.as_ref().unwrap().as_str(), "d_total");
        assert_eq!(age.decimals, 1);
        // The matrix names its columns in another order than [[theme]]: values follow names.
        assert_eq!(m.matrix_value("buffer", "fysiek"), 1);
        assert_eq!(m.matrix_value("buffer", "psychisch"), 2);
        assert_eq!(m.matrix.values, vec![vec![1, 2], vec![0, 3]]);
        assert_eq!(m.method, MethodParams::default());
    }

    fn expect_err(pairs: &[(&str, &str)]) -> CatalogueError {
        parse(pairs).expect_err("should be refused")
    }

    #[test]
    fn weights_that_do_not_sum_to_one_name_file_line_and_field() {
        let text = FACTORS.replace(
            "{ indicator = \"b_better\", weight = 0.5 }",
            "{ indicator = \"b_better\", weight = 0.4 }",
        );
        let e = expect_err(&[("characteristics.toml", &text)]);
        assert_eq!(e.file, "characteristics.toml");
        assert_eq!(e.field.as_deref(), Some("terms.weight"));
        assert_eq!(e.line, 9, "{e}");
        assert!(e.message.contains("sum to 0.9"), "{e}");
    }

    #[test]
    fn unknown_indicator_is_refused_where_it_is_written() {
        let text = FACTORS.replace("\"a_worse\"", "\"a_wrose\"");
        let e = expect_err(&[("characteristics.toml", &text)]);
        assert_eq!((e.line, e.field.as_deref()), (10, Some("terms.indicator")));
        assert!(e.message.contains("unknown indicator 'a_wrose'"), "{e}");
    }

    #[test]
    fn a_neutral_indicator_or_a_share_needs_an_explicit_direction() {
        let text = FACTORS.replace(", direction = \"higher_is_worse\"", "");
        let e = expect_err(&[("characteristics.toml", &text)]);
        assert_eq!(e.field.as_deref(), Some("terms.direction"));
        assert_eq!(e.line, 21);
        let neutral = FACTORS.replace(
            "{ indicator = \"a_worse\", weight = 0.5 }",
            "{ indicator = \"c_count\", weight = 0.5 }",
        );
        let e = expect_err(&[("characteristics.toml", &neutral)]);
        assert!(e.message.contains("neutral"), "{e}");
        let bad = FACTORS.replace("\"higher_is_worse\"", "\"neutral\"");
        assert_eq!(
            expect_err(&[("characteristics.toml", &bad)])
                .field
                .as_deref(),
            Some("terms.direction")
        );
    }

    #[test]
    fn duplicate_ids_and_duplicate_levels_are_refused() {
        let dup = FACTORS.replace("id = \"steun\"", "id = \"buffer\"");
        let e = expect_err(&[("characteristics.toml", &dup)]);
        assert!(e.message.contains("duplicate factor id 'buffer'"), "{e}");
        assert_eq!(e.line, 24);
        let level = FACTORS.replace(
            "levels = [\"gemeente\", \"ggd\"]",
            "levels = [\"gemeente\", \"gemeente\"]",
        );
        let e = expect_err(&[("characteristics.toml", &level)]);
        assert_eq!(e.field.as_deref(), Some("definition.levels"));
        let pop = FACTORS.replace("population = \"alle inwoners\"\n", "");
        let e = expect_err(&[("characteristics.toml", &pop)]);
        assert_eq!(
            (e.line, e.field.as_deref()),
            (18, Some("definition.population"))
        );
    }

    #[test]
    fn a_matrix_of_the_wrong_shape_is_refused() {
        let short = THEMES.replace("buffer   = [2, 1]", "buffer   = [2]");
        let e = expect_err(&[("characteristics.toml", FACTORS), ("themes.toml", &short)]);
        assert_eq!(e.line, 14, "{e}");
        assert_eq!(e.field.as_deref(), Some("matrix.rows.buffer"));
        assert!(e.message.contains("wrong shape"), "{e}");
        let missing_row = THEMES.replace("leeftijd = [3, 0]\n", "");
        let e = expect_err(&[
            ("characteristics.toml", FACTORS),
            ("themes.toml", &missing_row),
        ]);
        assert!(e.message.contains("'leeftijd' has no row"), "{e}");
        let missing_col = THEMES
            .replace(
                "themes = [\"psychisch\", \"fysiek\"]",
                "themes = [\"psychisch\"]",
            )
            .replace("[2, 1]", "[2]")
            .replace("[3, 0]", "[3]");
        let e = expect_err(&[
            ("characteristics.toml", FACTORS),
            ("themes.toml", &missing_col),
        ]);
        assert_eq!((e.line, e.field.as_deref()), (11, Some("matrix.themes")));
        let too_big = THEMES.replace("[3, 0]", "[4, 0]");
        let e = expect_err(&[("characteristics.toml", FACTORS), ("themes.toml", &too_big)]);
        assert!(e.message.contains("0 to 3"), "{e}");
        let unknown = THEMES.replace("leeftijd =", "leeftijdd =");
        let e = expect_err(&[("characteristics.toml", FACTORS), ("themes.toml", &unknown)]);
        assert_eq!(e.line, 15);
    }

    #[test]
    fn method_parameters_are_checked() {
        let m = parse(&[(
            "method.toml",
            "[stacking]\nthreshold = 80.0\npercentile_decimals = 0\n",
        )])
        .unwrap();
        assert_eq!(m.method.threshold, 80.0);
        assert_eq!(m.method.percentile_decimals, 0);
        let e = expect_err(&[("method.toml", "[stacking]\nthreshold = 0.9e3\n")]);
        assert_eq!(
            (e.line, e.field.as_deref()),
            (2, Some("stacking.threshold"))
        );
        let e = expect_err(&[("method.toml", "[stacking]\ntreshold = 90.0\n")]);
        assert!(e.message.contains("unknown field"), "{e}");
    }

    #[test]
    fn composite_uncertainty_and_cluster_settings_are_parsed_and_checked() {
        let text = "[composite]\nnormalisation = \"z_score\"\nweighting = \"matrix\"\naggregation = \"geometric\"\n\n[uncertainty]\nruns = 50\nseed = 7\nnormalisations = [\"percent_rank\", \"min_max\"]\nweight_noise = 0\n\n[clusters]\npermutations = 99\nalternative = \"directed\"\nfdr = true\n";
        let m = parse(&[("method.toml", text)]).unwrap().method;
        assert_eq!(
            m.composite,
            CompositeMethod {
                normalisation: NormalisationChoice::ZScore,
                weighting: WeightingChoice::Matrix,
                aggregation: AggregationChoice::Geometric,
            }
        );
        assert_eq!((m.uncertainty.runs, m.uncertainty.seed), (50, 7));
        assert_eq!(
            m.uncertainty.normalisations,
            [
                NormalisationChoice::PercentRank,
                NormalisationChoice::MinMax
            ]
        );
        assert_eq!(
            m.uncertainty.weightings,
            WeightingChoice::ALL,
            "default kept"
        );
        assert_eq!(m.uncertainty.weight_noise, 0.0);
        assert_eq!(m.clusters.permutations, 99);
        assert_eq!(m.clusters.alternative, ClusterAlternative::Directed);
        assert!(m.clusters.fdr);
        assert_eq!(m.clusters.seed, ClusterParams::default().seed);

        let e = expect_err(&[("method.toml", "[composite]\nnormalisation = \"rank\"\n")]);
        assert_eq!(
            (e.line, e.field.as_deref()),
            (2, Some("composite.normalisation"))
        );
        assert!(
            e.message
                .contains("percent_rank, min_max, z_score, exponential_rank"),
            "{e}"
        );
        let e = expect_err(&[("method.toml", "[uncertainty]\nruns = 1\n")]);
        assert_eq!(e.field.as_deref(), Some("uncertainty.runs"));
        let e = expect_err(&[(
            "method.toml",
            "[uncertainty]\naggregations = [\"arithmetic\", \"arithmetic\"]\n",
        )]);
        assert!(e.message.contains("listed twice"), "{e}");
        let e = expect_err(&[("method.toml", "[uncertainty]\nweightings = []\n")]);
        assert_eq!(e.field.as_deref(), Some("uncertainty.weightings"));
        let e = expect_err(&[("method.toml", "\n[clusters]\nalpha = 0.5\n")]);
        assert_eq!((e.line, e.field.as_deref()), (3, Some("clusters.alpha")));
        let e = expect_err(&[("method.toml", "[clusters]\nalternative = \"two_sided\"\n")]);
        assert!(e.message.contains("two-sided, directed, folded"), "{e}");
        // Results stored before these settings existed still read, with the defaults.
        let old: MethodParams = serde_json::from_str(
            r#"{"threshold":90.0,"percentile_decimals":1,"min_available_weight":0.5,"composite_min_share":0.5}"#,
        )
        .unwrap();
        assert_eq!(old, MethodParams::default());
    }

    #[test]
    fn groups_refer_to_known_sources_characteristics_and_groups() {
        let groups = r#"
[[group]]
id = "jongeren"
number = 1
label_nl = "Kwetsbare jongeren"
named_by = ["MSP", "Veld"]
status = "bestaand"
characteristics = ["buffer"]
indicators = ["a_worse"]

[[candidate]]
label_nl = "Zorgbehoevenden"
proposed_in = "Sponsoroverleg"
"#;
        let base = [("characteristics.toml", FACTORS), ("themes.toml", THEMES)];
        let m = parse(&[base[0], base[1], ("groups.toml", groups)]).unwrap();
        assert_eq!(m.group("jongeren").unwrap().named_by, vec!["MSP", "Veld"]);
        assert_eq!(m.candidates[0].group, None);
        let bad = groups.replace("\"Veld\"", "\"Krant\"");
        let e = expect_err(&[base[0], base[1], ("groups.toml", &bad)]);
        assert_eq!((e.line, e.field.as_deref()), (6, Some("named_by")));
        let bad = groups.replace("[\"buffer\"]", "[\"bufer\"]");
        let e = expect_err(&[base[0], base[1], ("groups.toml", &bad)]);
        assert_eq!(e.field.as_deref(), Some("characteristics"));
        let bad = format!("{groups}group = \"ouderen\"\n");
        let e = expect_err(&[base[0], base[1], ("groups.toml", &bad)]);
        assert_eq!((e.line, e.field.as_deref()), (14, Some("group")));
    }
}
