//! The OpenAPI 3 document of the API. Written by hand next to the handlers; a test checks that
//! every API route is documented and that the document is valid OpenAPI.

use axum::Json;
use serde_json::{json, Value};

use crate::api::{ApiQuery, NoParams};

fn param(name: &str, location: &str, required: bool, description: &str, schema: Value) -> Value {
    let mut schema = schema;
    // Every handler refuses an empty value (`api::ApiQuery`); a free string says so here.
    if schema["type"] == "string" && schema.get("minLength").is_none() {
        schema["minLength"] = json!(1);
    }
    json!({ "name": name, "in": location, "required": required, "description": description, "schema": schema })
}

fn level_param() -> Value {
    param(
        "level",
        "query",
        false,
        "Region level (default gemeente).",
        json!({"type": "string", "enum": ["land", "provincie", "ggd", "gemeente", "wijk", "buurt"], "default": "gemeente"}),
    )
}

fn period_param(description: &str) -> Value {
    param(
        "period",
        "query",
        false,
        description,
        json!({"type": "integer", "minimum": 1900, "maximum": 2100}),
    )
}

/// What `RegionCode::parse` accepts (ASCII digits: a schema-driven fuzzer reads `\\d` as any
/// Unicode digit, which the parser refuses).
const REGION_CODE_PATTERN: &str =
    "^(NL[0-9]{2}|PV[0-9]{2}|GG[0-9]{4}|GM[0-9]{4}|WK[0-9]{4}[0-9A-Z]{2}|BU[0-9]{4}[0-9A-Z]{4})$";

/// What an indicator id may look like (`IndicatorId`); an empty one is refused.
const INDICATOR_PATTERN: &str = "^[a-z][a-z0-9_]{0,63}$";

fn code_param(name: &str, location: &str, required: bool, description: &str) -> Value {
    param(
        name,
        location,
        required,
        description,
        json!({"type": "string", "pattern": REGION_CODE_PATTERN}),
    )
}

fn indicator_param(description: &str) -> Value {
    param(
        "indicator",
        "query",
        true,
        description,
        json!({"type": "string", "pattern": INDICATOR_PATTERN}),
    )
}

fn format_param() -> Value {
    param(
        "format",
        "query",
        false,
        "json (default) or csv.",
        json!({"type": "string", "enum": ["json", "csv"], "default": "json"}),
    )
}

fn errors() -> Value {
    json!({
        "400": { "description": "Malformed parameter.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
        "404": { "description": "Unknown region, indicator or period.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
    })
}

fn ok(description: &str, schema: Value, csv: bool) -> Value {
    let mut content = json!({ "application/json": { "schema": schema } });
    if csv {
        content["text/csv"] = json!({ "schema": { "type": "string" } });
    }
    json!({ "description": description, "content": content })
}

fn responses(success: Value) -> Value {
    let mut r = errors();
    r["200"] = success;
    r
}

/// The document.
pub fn document() -> Value {
    let mut doc = base_document();
    // The risk model's and the time endpoints' paths and schemas live in their own functions:
    // one json! literal for everything exceeds the macro's recursion limit.
    merge(&mut doc["paths"], risk_paths());
    merge(&mut doc["components"]["schemas"], risk_schemas());
    merge(&mut doc["paths"], time_paths());
    merge(&mut doc["components"]["schemas"], time_schemas());
    merge(&mut doc["paths"], analysis_paths());
    merge(&mut doc["components"]["schemas"], analysis_schemas());
    merge(&mut doc["paths"], persons_paths());
    merge(&mut doc["components"]["schemas"], persons_schemas());
    merge(&mut doc["paths"], agenda_paths());
    merge(&mut doc["components"]["schemas"], agenda_schemas());
    merge(&mut doc["paths"], search_paths());
    merge(&mut doc["components"]["schemas"], search_schemas());
    // The profile's links up and down, here rather than in the base literal (recursion limit).
    merge(
        &mut doc["components"]["schemas"]["Profile"]["properties"],
        profile_link_properties(),
    );
    doc
}

fn search_paths() -> Value {
    json!({
        "/api/search": { "get": {
            "operationId": "search",
            "summary": "Regions (provinces, GGD regions, gemeenten, wijken, buurten) by name or code, ignoring case, diacritics, hyphens and apostrophes (\"sudwest fryslan\" finds Súdwest-Fryslân, \"s gravenhage\" 's-Gravenhage). Codes match whole or from their start (gm0599, WK0599). Order: exact matches, then names or codes starting with the text, then names containing it; within each provinces, GGD regions, gemeenten, wijken, buurten; then by name. Regions of every stored layout count once per code, with the name of the newest layout that names them; a wijk's or buurt's gemeente follows from its code, so namesakes (many wijken are called Centrum) can be told apart.",
            "parameters": [
                param("q", "query", true, "Text to look for: a name or part of one, or a code; at most 100 characters. Text without a letter or digit finds nothing.", json!({"type": "string", "minLength": 1, "maxLength": 100})),
                param("limit", "query", false, "Most results to return (default 20).", json!({"type": "integer", "minimum": 1, "maximum": 200, "default": 20}))
            ],
            "responses": responses(ok("Matches, best first.", json!({"type": "array", "items": {"$ref": "#/components/schemas/SearchHit"}}), false))
        }},
        "/api/regions/{code}/similar": { "get": {
            "operationId": "similarAreas",
            "summary": "The areas similar to a region under the catalogue's rule (catalogue/similar.toml): the k nearest regions of the same level by Euclidean distance on standardised (z-score), weighted context variables — by default urbanity, population size (log) and the share of low-income households, k = 10. Regions lacking a variable are left out; a region lacking one gets none, and `missing` names what it lacks. The regiobeeld (/regio/{code}/regiobeeld) compares key figures with these areas' range.",
            "parameters": [
                code_param("code", "path", true, "CBS region code."),
                period_param("Period; default the latest with figures for the region. Each variable comes from the latest period up to it in which the level has figures of it."),
                format_param()
            ],
            "responses": responses(ok("Similar areas, nearest first.", json!({"$ref": "#/components/schemas/SimilarAreas"}), true))
        }}
    })
}

fn search_schemas() -> Value {
    json!({
        "SimilarAreas": { "type": "object", "required": ["region", "level", "period", "rule", "compared", "missing", "similar"], "properties": {
            "region": {"type": "string"}, "level": {"type": "string"}, "period": {"type": "integer"},
            "rule": {"type": "object", "required": ["k", "variables"], "properties": {
                "k": {"type": "integer"}, "same_level": {"type": "boolean"}, "method": {"type": "string"}, "source": {"type": "string"},
                "variables": {"type": "array", "items": {"type": "object", "required": ["indicator", "weight", "log"], "properties": {
                    "indicator": {"type": "string"}, "weight": {"type": "number"}, "log": {"type": "boolean"},
                    "period": {"type": ["integer", "null"], "description": "The latest period up to the asked one with figures of this variable at the level (null: none)."}}}}}},
            "compared": {"type": "integer", "description": "Regions of the level with every variable."},
            "missing": {"type": "array", "items": {"type": "string"}, "description": "Variables the region has no figure for."},
            "similar": {"type": "array", "items": {"type": "object", "required": ["code", "name", "distance"], "properties": {
                "code": {"type": "string"}, "name": {"type": ["string", "null"]}, "distance": {"type": "number", "description": "In standardised units."}}}}}},
        "SearchHit": { "type": "object", "required": ["code", "name", "level", "gemeente_code", "gemeente_name", "layout", "match"], "properties": {
            "code": {"type": "string"},
            "name": {"type": ["string", "null"], "description": "From the newest layout that names the region."},
            "level": {"type": "string", "enum": ["provincie", "ggd", "gemeente", "wijk", "buurt"]},
            "gemeente_code": {"type": ["string", "null"], "description": "The gemeente the region lies in, from its code (itself for a gemeente; null for a province or GGD region)."},
            "gemeente_name": {"type": ["string", "null"], "description": "That gemeente's name, from its newest named layout."},
            "layout": {"type": "integer", "description": "Layout year the name comes from."},
            "match": {"type": "string", "enum": ["exact", "prefix", "substring"]} } }
    })
}

fn profile_link_properties() -> Value {
    json!({
        "parents": {"type": "array", "description": "The areas the region lies in, largest first: a buurt's gemeente and wijk, a wijk's gemeente (both from the code), else the stored parent (a gemeente's province).",
            "items": {"type": "object", "required": ["code", "name", "level"], "properties": {"code": {"type": "string"}, "name": {"type": ["string", "null"]}, "level": {"type": "string"}}}},
        "children": {"type": "array", "description": "A gemeente's wijken or a wijk's buurten: regions of the level below whose code-derived parent is this region, in the newest layout that has any (children_layout), by code.",
            "items": {"type": "object", "required": ["code", "name"], "properties": {"code": {"type": "string"}, "name": {"type": ["string", "null"]}}}},
        "children_level": {"type": ["string", "null"], "enum": ["wijk", "buurt", null]},
        "children_layout": {"type": ["integer", "null"], "description": "Layout year the children come from."}
    })
}

fn analysis_paths() -> Value {
    json!({
        "/api/composite": { "get": {
            "operationId": "composite",
            "summary": "The composite index's method and how much the ranking depends on it: per region the composite rank under the nominal method and under alternatives that change one choice (percentile rank, min-max, z-score, IMD exponential transform; equal or theme-matrix weights; arithmetic or geometric mean), the median rank and 90% rank interval over Monte Carlo runs of those choices, and the first-order and total sensitivity index of each choice (Jansen).",
            "parameters": [level_param(), period_param("Period; default the latest with results for the level."), format_param()],
            "responses": responses(ok("The method comparison.", json!({"$ref": "#/components/schemas/Composite"}), true))
        }},
        "/api/clusters": { "get": {
            "operationId": "clusters",
            "summary": "Spatial clusters of a stored result per region: local Moran's I (LISA; high-high, low-low, high-low, low-high) or Getis-Ord G_i* (hot and cold spots) of the stacking count, the composite or a characteristic's score, with pseudo p-values from conditional permutations and an optional false-discovery-rate cut-off. Queen contiguity on the stored boundaries; islands reported.",
            "parameters": [
                level_param(),
                period_param("Period; default the latest with results for the level."),
                param("variable", "query", false, "stacking (default), composite, or a characteristic id with data (see the answer's variables).", json!({"type": "string"})),
                param("statistic", "query", false, "lisa (default) or gistar.", json!({"type": "string", "enum": ["lisa", "gistar"], "default": "lisa"})),
                param("alpha", "query", false, "Significance level; default the run's setting (method.toml).", json!({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 0.5})),
                param("fdr", "query", false, "Use the Benjamini-Hochberg false-discovery-rate cut-off (esda.fdr); default the run's setting.", json!({"type": "boolean"})),
                format_param()
            ],
            "responses": responses(ok("The clusters.", json!({"$ref": "#/components/schemas/Clusters"}), true))
        }},
        "/api/shrinkage": { "get": {
            "operationId": "shrinkage",
            "summary": "Small-area shrinkage: an indicator's figures pulled toward their parent region's figure in proportion to their imprecision (precision-weighted, SIMD 2003), with the shrunk 95% interval beside the published value. Needs figures with an interval (lower, upper) or, for percentages, a number of respondents (n); the answer's note says why nothing was shrunk when nothing was.",
            "parameters": [
                indicator_param("Indicator id, see /api/indicators."),
                level_param(), period_param("Period; default the latest with figures."), format_param()
            ],
            "responses": responses(ok("Figures with their shrunk estimates.", json!({"type": "object", "required": ["indicator", "level", "period", "regions"], "properties": {
                "indicator": {"type": "string"}, "level": {"type": "string"}, "period": {"type": "integer"},
                "method": {"type": "object"}, "tau2": {"type": ["number", "null"]}, "shrunk": {"type": "integer"}, "note": {"type": ["string", "null"]},
                "regions": {"type": "array", "items": {"type": "object", "properties": {
                    "code": {"type": "string"}, "value": {"type": ["number", "null"]}, "standard_error": {"type": ["number", "null"]},
                    "precision_from": {"type": ["string", "null"], "enum": ["interval", "n", null]},
                    "parent": {"type": ["string", "null"]}, "parent_value": {"type": ["number", "null"]},
                    "shrunk": {"type": ["object", "null"]} }}} }}), true))
        }}
    })
}

fn persons_paths() -> Value {
    json!({
        "/api/persons-stacking": { "get": {
            "operationId": "personsStacking",
            "summary": "Person-level stacking of one region: persons by the number of risk characteristics they have (0, 1, 2, 3+ as published), in total and per breakdown cell (age class, SES class, crossed), from tables made and disclosure-checked by `kwm microdata stack`. Suppressed cells have no value and are never filled in; shares only from published figures. `synthetic` is true when the table comes from the synthetic generator (indicator ids `synthetic_mds_…`): not about real persons.",
            "parameters": [
                code_param("region", "query", false, "CBS region code (NL01, GM…); default Nederland."),
                period_param("Period; default the latest with figures."),
                param("data", "query", false, "real (`mds_…`, the default when loaded) or synthetic (`synthetic_mds_…`).", json!({"type": "string", "enum": ["real", "synthetic"]})),
                format_param()
            ],
            "responses": responses(ok("The distribution.", json!({"$ref": "#/components/schemas/PersonsStacking"}), true))
        }},
        "/api/breakdowns": { "get": {
            "operationId": "breakdowns",
            "summary": "Every stored cell of one indicator for one region and period: the total (breakdown \"\") and each breakdown cell such as `age_class=25-44;ses_class=low`, ordered by breakdown. Suppressed cells have status `suppressed` and no value.",
            "parameters": [
                indicator_param("Indicator id."),
                code_param("region", "query", true, "CBS region code."),
                param("period", "query", true, "Period (year).", json!({"type": "integer", "minimum": 1900, "maximum": 2100}))
            ],
            "responses": responses(ok("The cells.", json!({"type": "array", "items": {"$ref": "#/components/schemas/BreakdownCell"}}), false))
        }}
    })
}

fn analysis_schemas() -> Value {
    let nullable_number = json!({"type": ["number", "null"]});
    let label = json!({"type": "object", "required": ["nl", "en"], "properties": {"nl": {"type": "string"}, "en": {"type": "string"}}});
    let interval = json!({"type": ["object", "null"], "description": "Median and 5th–95th percentile of the composite rank over the Monte Carlo runs.", "properties": {
        "median": {"type": "number"}, "lower": {"type": "number"}, "upper": {"type": "number"}}});
    let mut schemas = json!({
        "CompositeMethod": { "type": "object", "description": "The composite index's method as applied.", "required": ["choices", "description", "spec", "weights"], "properties": {
            "choices": {"type": "object", "properties": {
                "normalisation": {"type": "string", "enum": ["percent_rank", "min_max", "z_score", "exponential_rank"]},
                "weighting": {"type": "string", "enum": ["equal", "matrix"]},
                "aggregation": {"type": "string", "enum": ["arithmetic", "geometric"]}}},
            "label": label, "description": {"type": "string"},
            "spec": {"type": "object", "description": "The engine's method record with every parameter."},
            "weights": {"type": "array", "items": {"type": "object", "properties": {"characteristic": {"type": "string"}, "label": label, "weight": {"type": "number"}}}} } },
        "RankInterval": interval
    });
    // Separate literals: one for everything exceeds the json! macro's recursion limit.
    merge(&mut schemas, composite_schema(&label, &nullable_number));
    merge(&mut schemas, clusters_schema(&label, &nullable_number));
    schemas
}

fn composite_schema(label: &Value, nullable_number: &Value) -> Value {
    json!({
        "Composite": { "type": "object", "required": ["level", "period", "run", "method", "methods", "regions"], "properties": {
            "level": {"type": "string"}, "period": {"type": "integer"}, "periods": {"type": "array", "items": {"type": "integer"}},
            "run": {"$ref": "#/components/schemas/Run"}, "note": {"type": "string"},
            "method": {"$ref": "#/components/schemas/CompositeMethod"},
            "methods": {"type": "array", "items": {"type": "object", "required": ["key", "changes"], "properties": {
                "key": {"type": "string"}, "changes": {"type": "string", "enum": ["nominal", "normalisation", "weighting", "aggregation"]},
                "label": label, "choices": {"type": "object"}, "method": label, "description": {"type": "string"},
                "compared": {"type": "integer"}, "mean_abs_shift": nullable_number, "max_shift": {"type": ["integer", "null"]},
                "moved_more_than": {"type": "array", "items": {"type": "object", "properties": {"places": {"type": "integer"}, "regions": {"type": "integer"}}}},
                "spearman": nullable_number, "error": {"type": ["string", "null"]} } }},
            "uncertainty": {"type": ["object", "null"], "properties": {
                "runs": {"type": "integer"}, "total_runs": {"type": "integer"}, "rank_runs": {"type": "integer"}, "seed": {"type": "integer"},
                "interval": {"type": "string"}, "factors": {"type": "array", "items": {"type": "object"}},
                "sensitivity": {"type": "object", "properties": {"output": {"type": ["string", "null"]}, "output_variance": nullable_number, "estimator": {"type": "string"},
                    "indices": {"type": "array", "items": {"type": "object", "properties": {"factor": {"type": "string"}, "label": label, "first_order": nullable_number, "total": nullable_number}}}}},
                "median_interval_width": nullable_number, "spec": {"type": "object"} }},
            "uncertainty_error": {"type": ["string", "null"]},
            "regions": {"type": "array", "items": {"type": "object", "required": ["code", "ranks"], "properties": {
                "code": {"type": "string"}, "name": {"type": ["string", "null"]},
                "ranks": {"type": "object", "additionalProperties": {"type": ["integer", "null"]}},
                "scores": {"type": "object", "additionalProperties": nullable_number},
                "rank_interval": {"$ref": "#/components/schemas/RankInterval"} } }} } }
    })
}

fn clusters_schema(label: &Value, nullable_number: &Value) -> Value {
    json!({
        "Clusters": { "type": "object", "required": ["level", "period", "variable", "statistic", "test", "regions"], "properties": {
            "level": {"type": "string"}, "period": {"type": "integer"}, "periods": {"type": "array", "items": {"type": "integer"}},
            "run": {"$ref": "#/components/schemas/Run"}, "note": {"type": "string"},
            "variable": {"type": "string"}, "variable_label": label,
            "statistic": {"type": "string", "enum": ["lisa", "gistar"]}, "statistic_label": label,
            "test": {"type": "object", "properties": {"permutations": {"type": "integer"}, "seed": {"type": "integer"},
                "alternative": {"type": "string", "enum": ["folded", "two-sided", "directed"]}, "p_value": {"type": "string"},
                "alpha": {"type": "number"}, "fdr": {"type": "boolean"}, "cutoff": {"type": "number"}}},
            "weights": {"type": "object"},
            "variables": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}, "label": label, "analysed": {"type": "integer"},
                "islands": {"type": "array", "items": {"type": "string"}}, "global_moran": {"type": ["object", "null"]}, "errors": {"type": "array", "items": {"type": "string"}}}}},
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            "regions": {"type": "array", "items": {"type": "object", "required": ["code", "status", "significant", "category"], "properties": {
                "code": {"type": "string"}, "name": {"type": ["string", "null"]},
                "status": {"type": "string", "enum": ["ok", "island", "no_value", "no_boundary"]},
                "value": nullable_number, "statistic": nullable_number, "z": nullable_number, "p_sim": nullable_number,
                "quadrant": {"type": ["string", "null"], "enum": ["HH", "LL", "HL", "LH", null]},
                "significant": {"type": "boolean"},
                "category": {"type": "string", "enum": ["high_high", "low_low", "high_low", "low_high", "hot_spot", "cold_spot", "not_significant", "island", "no_value", "no_boundary"]} } }} } }
    })
}

fn persons_schemas() -> Value {
    let cell = json!({"type": "object", "required": ["value", "status"], "properties": {
        "value": {"type": ["number", "null"]},
        "status": {"type": "string", "enum": ["ok", "suppressed", "missing"]}}});
    json!({
        "PersonsStacking": {"type": "object",
            "required": ["synthetic", "note", "indicator_prefix", "region", "period", "classes", "rows"],
            "properties": {
                "synthetic": {"type": "boolean"},
                "note": {"type": "string"},
                "indicator_prefix": {"type": "string"},
                "available_prefixes": {"type": "array", "items": {"type": "string"}},
                "region": {"type": "string"},
                "name": {"type": ["string", "null"]},
                "period": {"type": "integer"},
                "periods": {"type": "array", "items": {"type": "integer"}},
                "classes": {"type": "array", "items": {"type": "object", "properties": {
                    "indicator": {"type": "string"}, "label": {"type": "string"},
                    "from": {"type": "integer"}, "open": {"type": "boolean"}}}},
                "rows": {"type": "array", "items": {"type": "object", "properties": {
                    "breakdown": {"type": "string"},
                    "dimensions": {"type": "object", "additionalProperties": {"type": "string"}},
                    "persons": cell,
                    "counts": {"type": "array", "items": {"type": "object", "properties": {
                        "class": {"type": "string"},
                        "value": {"type": ["number", "null"]},
                        "status": {"type": "string", "enum": ["ok", "suppressed", "missing"]},
                        "share": {"type": ["number", "null"]}}}}}}},
                "load_ids": {"type": "array", "items": {"type": "integer"}}}},
        "BreakdownCell": {"type": "object", "required": ["breakdown", "value", "status", "load_id"], "properties": {
            "breakdown": {"type": "string"},
            "value": {"type": ["number", "null"]},
            "n": {"type": ["number", "null"]},
            "status": {"type": "string", "enum": ["ok", "suppressed", "missing"]},
            "load_id": {"type": "integer"}}}
    })
}

fn merge(target: &mut Value, add: Value) {
    if let (Some(target), Value::Object(add)) = (target.as_object_mut(), add) {
        target.extend(add);
    }
}

fn risk_paths() -> Value {
    json!({
            "/api/stacking": { "get": {
                "operationId": "stacking", "summary": "Stacking of risk characteristics per region: how many are flagged (top decile by default) out of how many have data, the distribution of those counts, and a composite with its rank. Areas only, never persons.",
                "parameters": [level_param(), period_param("Period; default the latest with results for the level."),
                    param("gemeente", "query", false, "With level wijk or buurt: only the wijken or buurten of this gemeente (ranks, percentiles, flags and thresholds stay national; the distribution is recounted over them).", json!({"type": "string", "pattern": "^GM[0-9]{4}$"})),
                    format_param()],
                "responses": responses(ok("Stacking counts.", json!({"$ref": "#/components/schemas/Stacking"}), true))
            }},
            "/api/regions/{code}/themes": { "get": {
                "operationId": "regionThemes", "summary": "A region's risk picture: exposure per theme through the characteristic × theme matrix with the characteristics driving it, and every characteristic with the indicators, values, ranks, percentiles and weights that produced it.",
                "parameters": [
                    code_param("code", "path", true, "CBS region code."),
                    period_param("Period; default the latest with results for the region's level."),
                    format_param(),
                    param("table", "query", false, "With format=csv: which table of the themes page — `themes` (exposure per theme; default), `characteristics` (every characteristic and protective factor) or `indicators` (the indicators behind each characteristic) or `groups` (the report's groups: how many of each group's characteristics are flagged here). Every row names the population its figure describes and its source.", json!({"type": "string", "enum": ["themes", "characteristics", "indicators", "groups"]})),
                    param("kind", "query", false, "With table=characteristics: only risk characteristics or only protective factors.", json!({"type": "string", "enum": ["risk", "protective"]})),
                    param("characteristic", "query", false, "With table=indicators: the indicators of one characteristic (its id).", json!({"type": "string", "minLength": 1}))
                ],
                "responses": responses(ok("The risk picture.", json!({"$ref": "#/components/schemas/RegionThemes"}), true))
            }},
            "/api/characteristics": { "get": {
                "operationId": "characteristics", "summary": "The 12 risk characteristics and the protective factors from the catalogue: definitions per level (indicators, weights, directions, population), data-gap notes, matrix row.",
                "responses": responses(ok("Characteristics.", json!({"type": "object", "required": ["characteristics", "protective_factors"], "properties": {
                    "catalogue": {"type": "string"}, "method": {"type": "object"},
                    "characteristics": {"type": "array", "items": {"$ref": "#/components/schemas/Factor"}},
                    "protective_factors": {"type": "array", "items": {"$ref": "#/components/schemas/Factor"}}}}), false))
            }},
            "/api/themes": { "get": {
                "operationId": "themes", "summary": "The 7 themes and the characteristic × theme matrix (0–3; possible correlations, not causes).",
                "responses": responses(ok("Themes and matrix.", json!({"type": "object", "required": ["themes", "matrix"], "properties": {
                    "catalogue": {"type": "string"},
                    "themes": {"type": "array", "items": {"type": "object"}},
                    "matrix": {"type": "object", "properties": {"note": {"type": "string"}, "themes": {"type": "array", "items": {"type": "string"}}, "rows": {"type": "array", "items": {"type": "object"}}}}}}), false))
            }},
            "/api/groups": { "get": {
                "operationId": "groups", "summary": "The 12 groups of the report with the sources that named them, and the candidate groups of the sponsor meeting.",
                "responses": responses(ok("Groups.", json!({"type": "object", "required": ["groups", "candidates"], "properties": {
                    "catalogue": {"type": "string"}, "sources": {"type": "object"},
                    "groups": {"type": "array", "items": {"type": "object"}},
                    "candidates": {"type": "array", "items": {"type": "object"}}}}), false))
            }},
            "/api/groups/{id}": { "get": {
                "operationId": "group", "summary": "One group: description, sources, typical characteristics, running policies, directorates (never persons), data sources, the recommendations of the policy agenda that address it, and the areas where its characteristics are flagged.",
                "parameters": [
                    param("id", "path", true, "Group id, see /api/groups.", json!({"type": "string"})),
                    level_param(), period_param("Period of the stacking results; default the latest."),
                    param("gemeente", "query", false, "With level wijk or buurt: only the wijken or buurten of this gemeente (flags stay national).", json!({"type": "string", "pattern": "^GM[0-9]{4}$"}))
                ],
                "responses": responses(ok("The group.", json!({"type": "object", "required": ["id", "label", "areas"]}), false))
            }},
            "/api/coverage": { "get": {
                "operationId": "coverage", "summary": "Data coverage: for every characteristic and protective factor, per level and period, which indicators have figures — or that it is a gap (no definition, or no figures loaded).",
                "parameters": [param("level", "query", false, "Only this level (default: all but land).", json!({"type": "string", "enum": ["provincie", "ggd", "gemeente", "wijk", "buurt"]}))],
                "responses": responses(ok("Coverage.", json!({"type": "object", "required": ["columns", "factors"], "properties": {
                    "columns": {"type": "array", "items": {"type": "object"}},
                    "factors": {"type": "array", "items": {"type": "object"}}}}), false))
            }}
    })
}

fn time_paths() -> Value {
    json!({
            "/api/regions/{code}/series": { "get": {
                "operationId": "regionSeries", "summary": "A region's series of one indicator on one region layout, harmonised across municipal mergers and re-coded districts (run `kwm harmonise`), with the national line, the change since the previous period and over the whole series, and the significance test used.",
                "parameters": [
                    code_param("code", "path", true, "CBS region code of the layout."),
                    indicator_param("Indicator id, see /api/indicators."),
                    param("layout", "query", false, "Layout year the series is harmonised onto; default the newest with a series for this region.", json!({"type": "integer", "minimum": 1900, "maximum": 2100}))
                ],
                "responses": responses(ok("The series.", json!({"$ref": "#/components/schemas/Series"}), false))
            }},
            "/api/changes": { "get": {
                "operationId": "changes", "summary": "Region changes between layouts (merge, split, rename, recode, boundary): official (loaded change tables) and derived from the data, with the share used to carry figures over.",
                "parameters": [
                    param("from", "query", false, "Only changes in force after this layout year (from ≥ to: none).", json!({"type": "integer", "minimum": 1900, "maximum": 2100})),
                    param("to", "query", false, "Only changes in force up to this layout year.", json!({"type": "integer", "minimum": 1900, "maximum": 2100})),
                    param("level", "query", false, "gemeente, wijk or buurt (default all).", json!({"type": "string", "enum": ["gemeente", "wijk", "buurt"]}))
                ],
                "responses": responses(ok("Changes in layout order.", json!({"type": "object", "required": ["changes"], "properties": {
                    "from": {"type": ["integer", "null"]}, "to": {"type": ["integer", "null"]}, "level": {"type": ["string", "null"]},
                    "count": {"type": "integer"},
                    "changes": {"type": "array", "items": {"$ref": "#/components/schemas/Change"}}}}), false))
            }},
            "/api/warnings": { "get": {
                "operationId": "warnings", "summary": "Early warning: per region, each watched signal's change since the previous period, whether it is significant, beyond the region's own past variation and beyond the national change, and whether it is flagged — with an explanation. Areas only.",
                "parameters": [
                    param("level", "query", false, "gemeente, wijk or buurt; default the level with the latest assessable period.", json!({"type": "string", "enum": ["land", "provincie", "ggd", "gemeente", "wijk", "buurt"]})),
                    period_param("Period assessed; default the latest with signals in two periods.")
                ],
                "responses": responses(ok("Assessments.", json!({"$ref": "#/components/schemas/Warnings"}), false))
            }}
    })
}

fn agenda_paths() -> Value {
    json!({
            "/api/agenda": { "get": {
                "operationId": "agenda", "summary": "The policy agenda of the report: 4 tasks, 9 recommendations (with programmes, parties, groups, linked indicators and characteristics, target region set and start), the running programmes and parties (organisations, never persons), the general agenda, the follow-up note's overarching recommendations and table, the region sets, and per recommendation the headline of its effect view.",
                "responses": responses(ok("The agenda.", json!({"$ref": "#/components/schemas/Agenda"}), false))
            }},
            "/api/agenda/{id}": { "get": {
                "operationId": "recommendation", "summary": "One recommendation with its sub-points, programmes, parties, follow-up rows and effect views: per linked indicator and level, target regions against comparable regions before and after the start (difference in differences with interval, pre-trend check and an honest label when data are too few).",
                "parameters": [param("id", "path", true, "Recommendation id, see /api/agenda.", json!({"type": "string"}))],
                "responses": responses(ok("The recommendation.", json!({"$ref": "#/components/schemas/Recommendation"}), false))
            }},
            "/api/radar": { "get": {
                "operationId": "radar", "summary": "Findability radar: per area the use of a kind of support expected from its need (leave-one-out log-linear regression with prediction interval, never negative) against the observed use (gap = observed − expected); areas with high need and clearly lower use are candidates ('need may be out of sight'). Where the figures are not loaded, status missing_data says which indicators, StatLine tables and columns are needed. Areas only, never persons.",
                "parameters": [
                    param("level", "query", false, "gemeente (default), wijk or buurt.", json!({"type": "string", "enum": ["gemeente", "wijk", "buurt"], "default": "gemeente"})),
                    period_param("Period; default the latest with the support's figures at the level."),
                    param("support", "query", false, "Support id from the catalogue (radar.toml): wmo, jeugdzorg, bijstand, ao (gemeente only); default the first with figures.", json!({"type": "string"})),
                    param("gemeente", "query", false, "Show only the areas of this gemeente (the model is still fitted on the whole level).", json!({"type": "string", "pattern": "^GM[0-9]{4}$"}))
                ],
                "responses": responses(ok("The radar.", json!({"$ref": "#/components/schemas/Radar"}), false))
            }}
    })
}

fn agenda_schemas() -> Value {
    // One json! per schema: all of them in one literal exceed the macro's recursion limit.
    let nullable_number = json!({"type": ["number", "null"]});
    let label = json!({"type": "object", "required": ["nl", "en"], "properties": {"nl": {"type": "string"}, "en": {"type": "string"}}});
    let mut schemas = serde_json::Map::new();
    schemas.insert(
        "DidEstimate".into(),
        json!({ "type": ["object", "null"], "description": "Difference in differences: mean change of the targets minus mean change of the comparisons, Welch t interval.", "properties": {
                "before": {"type": "array", "items": {"type": "integer"}}, "after": {"type": "array", "items": {"type": "integer"}},
                "targets": {"type": "integer"}, "comparisons": {"type": "integer"}, "outside_support": {"type": "integer"},
                "target_change": {"type": "number"}, "comparison_change": {"type": "number"},
                "estimate": {"type": "number"}, "se": {"type": "number"}, "df": {"type": "number"},
                "lower": {"type": "number"}, "upper": {"type": "number"}, "p_value": {"type": "number"}, "confidence": {"type": "number"} } }),
    );
    schemas.insert(
        "EffectView".into(),
        json!({ "type": "object", "required": ["indicator", "level", "status", "periods", "means"], "properties": {
                "indicator": {"type": "string"}, "label": label.clone(), "expect": {"type": "string", "enum": ["lower", "higher"]},
                "level": {"type": "string"}, "region_set": {"type": "string"}, "start": {"type": "string"},
                "periods": {"type": "array", "items": {"type": "integer"}},
                "phases": {"type": "array", "items": {"type": "string", "enum": ["before", "during", "after"]}},
                "derived": {"type": "boolean"},
                "status": {"type": "string", "enum": ["no_periods", "no_period_before", "placebo_only", "too_few_regions", "indicative", "estimate", "pre_trend_diverges"]},
                "targets_listed": {"type": "integer"},
                "effect": {"$ref": "#/components/schemas/DidEstimate"}, "pre_trend": {"$ref": "#/components/schemas/DidEstimate"},
                "means": {"type": "array", "items": {"type": "object", "properties": {
                    "period": {"type": "integer"}, "phase": {"type": "string"}, "target_mean": nullable_number, "targets": {"type": "integer"},
                    "comparison_mean": nullable_number, "comparisons": {"type": "integer"} } } },
                "small_regions_left_out": {"type": "integer"}, "comparison_candidates": {"type": "integer"},
                "targets": {"type": "array", "items": {"type": "object"}} } }),
    );
    schemas.insert(
        "Agenda".into(),
        json!({ "type": "object", "required": ["tasks", "recommendations", "programmes", "parties"], "properties": {
                "catalogue": {"type": "string"}, "title": label.clone(), "source": label.clone(), "note": {"type": "string"},
                "tasks": {"type": "array", "items": {"type": "object"}},
                "conditions": {"type": "array", "items": {"type": "object"}},
                "principles": {"type": "array", "items": label.clone()},
                "recommendations": {"type": "array", "items": {"type": "object", "required": ["id", "number", "task", "label"], "properties": {
                    "id": {"type": "string"}, "number": {"type": "integer"}, "task": {"type": "string"}, "label": label.clone(),
                    "summary": label.clone(), "programmes": {"type": "array", "items": {"type": "string"}},
                    "parties": {"type": "array", "items": {"type": "string"}}, "groups": {"type": "array", "items": {"type": "string"}},
                    "characteristics": {"type": "array", "items": {"type": "string"}},
                    "indicators": {"type": "array", "items": {"type": "object"}},
                    "region_set": {"type": ["string", "null"]}, "start": {"type": ["string", "null"]}, "radar": {"type": "boolean"},
                    "effect": {"type": ["object", "null"]} } } },
                "programmes": {"type": "array", "items": {"type": "object"}},
                "parties": {"type": "array", "items": {"type": "object"}},
                "follow_up": {"type": "object"},
                "region_sets": {"type": "array", "items": {"type": "object"}},
                "effect_rules": {"type": "object"} } }),
    );
    schemas.insert(
        "Recommendation".into(),
        json!({ "type": "object", "required": ["id", "number", "label", "points", "effects"], "properties": {
                "id": {"type": "string"}, "number": {"type": "integer"}, "task": {"type": ["object", "null"]}, "label": label.clone(),
                "summary": label.clone(), "points": {"type": "array", "items": {"type": "object"}},
                "programmes": {"type": "array", "items": {"type": "object"}}, "parties": {"type": "array", "items": {"type": "object"}},
                "follow_up": {"type": "array", "items": {"type": "object"}},
                "region_set": {"type": ["object", "null"]},
                "effects": {"type": "array", "items": {"$ref": "#/components/schemas/EffectView"}},
                "not_measured": {"type": "array", "items": {"type": "object"}},
                "effect_rules": {"type": "object"} } }),
    );
    let radar_area = json!({"type": "object", "required": ["code", "candidate", "high_need"], "properties": {
                    "code": {"type": "string"}, "name": {"type": ["string", "null"]}, "population": nullable_number,
                    "observed": nullable_number, "expected": nullable_number, "lower": nullable_number, "upper": nullable_number,
                    "gap": nullable_number, "relative_gap": nullable_number, "gap_pct": nullable_number, "t": nullable_number,
                    "p_below": nullable_number, "q_below": nullable_number,
                    "need": {"type": "array", "items": {"type": "object"}}, "need_score": nullable_number,
                    "stacking": {"type": ["object", "null"]}, "high_need": {"type": "boolean"}, "candidate": {"type": "boolean"},
                    "excluded": {"type": ["string", "null"], "enum": ["no_use", "no_need", "small_population", "no_expectation", null]} } });
    schemas.insert(
        "Radar".into(),
        json!({ "type": "object", "required": ["level", "period", "support", "status", "areas", "rules"], "properties": {
                "level": {"type": "string"}, "period": {"type": "integer"}, "periods": {"type": "array", "items": {"type": "integer"}},
                "layout": {"type": ["integer", "null"]}, "gemeente": {"type": ["string", "null"]},
                "support": {"type": "object"}, "supports": {"type": "array", "items": {"type": "object"}},
                "status": {"type": "string", "enum": ["model", "no_model", "missing_data", "no_figures_for_gemeente"]},
                "message": {"type": "string"}, "gemeente_without_figures": {"type": "object"},
                "missing": {"type": "array", "items": {"type": "object"}}, "how_to_load": {"type": "string"},
                "no_model": {"type": "object"}, "model": {"type": "object"},
                "need_rule": {"type": "string", "enum": ["stacking", "need_percentile"]},
                "stacking_run": {"oneOf": [{"$ref": "#/components/schemas/Run"}, {"type": "null"}]},
                "rules": {"type": "object"}, "candidates": {"type": "integer"},
                "areas": {"type": "array", "items": radar_area } } }),
    );
    Value::Object(schemas)
}

fn risk_schemas() -> Value {
    let nullable_number = json!({"type": ["number", "null"]});
    json!({
            "Run": { "type": "object", "description": "A stored computation: catalogue version, fingerprint of catalogue + parameters + data, and whether the current catalogue or data would give other results (stale).", "properties": {
                "id": {"type": "integer"}, "catalogue_version": {"type": "string"}, "fingerprint": {"type": "string"},
                "computed_at": {"type": "string"}, "layout": {"type": ["integer", "null"]}, "stale": {"type": "boolean"},
                "method": {"type": "object", "description": "The method parameters of method.toml the run was computed with.", "properties": {"threshold": {"type": "number"}, "percentile_decimals": {"type": "integer"}, "min_available_weight": {"type": "number"}, "composite_min_share": {"type": "number"},
                    "composite": {"type": "object"}, "uncertainty": {"type": "object"}, "clusters": {"type": "object"}}},
                "composite_method": {"oneOf": [{"$ref": "#/components/schemas/CompositeMethod"}, {"type": "null"}]} } },
            "Factor": { "type": "object", "required": ["id", "kind", "label", "definitions"], "properties": {
                "id": {"type": "string"}, "kind": {"type": "string", "enum": ["risk", "protective"]},
                "label": {"type": "object"}, "description": {"type": "object"}, "gap_note": {"type": "object"},
                "definitions": {"type": "array", "items": {"type": "object"}},
                "themes": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 3}} } },
            "Stacking": { "type": "object", "required": ["level", "period", "run", "distribution", "regions"], "properties": {
                "level": {"type": "string"}, "period": {"type": "integer"}, "periods": {"type": "array", "items": {"type": "integer"}},
                "run": {"$ref": "#/components/schemas/Run"}, "rules": {"type": "object"},
                "characteristics": {"type": "array", "items": {"type": "object"}},
                "distribution": {"type": "array", "items": {"type": "object", "properties": {"flagged": {"type": "integer"}, "regions": {"type": "integer"}}}},
                "no_data": {"type": "integer"},
                "within": {"type": ["object", "null"], "properties": {"gemeente": {"type": "string"}, "name": {"type": ["string", "null"]}, "note": {"type": "string"}}},
                "regions": {"type": "array", "items": {"type": "object", "required": ["code", "flagged", "with_data"], "properties": {
                    "code": {"type": "string"}, "name": {"type": ["string", "null"]},
                    "flagged": {"type": "integer"}, "with_data": {"type": "integer"},
                    "flagged_characteristics": {"type": "array", "items": {"type": "string"}},
                    "weak_protective": {"type": "integer"}, "protective_with_data": {"type": "integer"},
                    "composite": nullable_number, "composite_rank": {"type": ["integer", "null"]}, "composite_percentile": nullable_number,
                    "rank_interval": {"$ref": "#/components/schemas/RankInterval"} } } } } },
            "RegionThemes": { "type": "object", "required": ["region", "period", "run", "themes", "characteristics"], "properties": {
                "region": {"type": "object"}, "period": {"type": "integer"}, "periods": {"type": "array", "items": {"type": "integer"}},
                "run": {"$ref": "#/components/schemas/Run"}, "rules": {"type": "object"},
                "stacking": {"type": "object"}, "composite": {"type": "object"},
                "themes": {"type": "array", "items": {"type": "object"}},
                "characteristics": {"type": "array", "items": {"type": "object"}} } }
    })
}

fn time_schemas() -> Value {
    let nullable_number = json!({"type": ["number", "null"]});
    json!({
            "TrendChange": { "type": ["object", "null"], "properties": {
                "from": {"type": "integer"}, "to": {"type": "integer"}, "delta": {"type": "number"}, "relative": nullable_number,
                "lower": nullable_number, "upper": nullable_number,
                "test": {"type": "string", "enum": ["interval_z", "two_proportion_z", "fisher_exact", "poisson_exact", "poisson_z", "not_testable"]},
                "p_value": nullable_number, "significant": {"type": ["boolean", "null"]} } },
            "Series": { "type": "object", "required": ["region", "indicator", "layout", "points"], "properties": {
                "region": {"type": "object"}, "indicator": {"$ref": "#/components/schemas/Indicator"},
                "layout": {"type": "integer"}, "layouts": {"type": "array", "items": {"type": "integer"}},
                "measure": {"type": "object"},
                "points": {"type": "array", "items": {"type": "object", "required": ["period", "value", "method"], "properties": {
                    "period": {"type": "integer"}, "value": {"type": "number"}, "lower": nullable_number, "upper": nullable_number, "n": nullable_number,
                    "method": {"type": "string", "enum": ["published", "exact", "recomputed", "weighted_mean", "estimated"]},
                    "weighted_by": {"type": ["string", "null"]}, "source_layout": {"type": "integer"}, "harmonised": {"type": "boolean"},
                    "sources": {"type": "array", "items": {"type": "object"}}, "national": nullable_number }}},
                "national": {"type": "array", "items": {"type": "object"}},
                "change_previous": {"$ref": "#/components/schemas/TrendChange"},
                "change_whole": {"$ref": "#/components/schemas/TrendChange"},
                "appearance": {"type": ["object", "null"]},
                "summary": {"type": "object"}, "test_rule": {"type": "string"} } },
            "Change": { "type": "object", "required": ["level", "to_layout", "kind", "old", "new", "origin"], "properties": {
                "level": {"type": "string"}, "from_layout": {"type": "integer"}, "to_layout": {"type": "integer"},
                "effective": {"type": ["string", "null"], "format": "date"},
                "kind": {"type": "string", "enum": ["merge", "split", "rename", "recode", "boundary"]},
                "old": {"type": "object"}, "new": {"type": "object"},
                "weight": nullable_number, "weight_basis": {"type": ["string", "null"]}, "weight_derived": {"type": "boolean"},
                "parts": {"type": "array", "items": {"type": "string"}},
                "origin": {"type": "string", "enum": ["official", "derived"]}, "load_id": {"type": ["integer", "null"]},
                "applied_to_figures": {"type": "boolean"} } },
            "Warnings": { "type": "object", "required": ["level", "period", "layout", "rule", "regions"], "properties": {
                "level": {"type": "string"}, "period": {"type": "integer"}, "layout": {"type": "integer"},
                "rule": {"type": "object"}, "signals": {"type": "array", "items": {"$ref": "#/components/schemas/Indicator"}},
                "not_comparable": {"type": "array", "items": {"type": "string"}},
                "new_signals": {"type": "array", "items": {"type": "string"}},
                "new_indicators": {"type": "array", "items": {"type": "string"}},
                "assessed_regions": {"type": "integer"}, "flagged_regions": {"type": "integer"},
                "regions": {"type": "array", "items": {"type": "object"}} } }
    })
}

fn base_document() -> Value {
    let nullable_number = json!({"type": ["number", "null"]});
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Kwetsbaarheidsmonitor API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Figures per gemeente, wijk and buurt on vulnerability, with ranks and percentiles, region profiles, the risk model (characteristics, themes, stacking, groups, coverage) and provenance. Areas and tables only: the API never describes persons.",
            "license": { "name": "EUPL-1.2", "identifier": "EUPL-1.2" }
        },
        "paths": {
            "/healthz": { "get": {
                "operationId": "healthz", "summary": "Liveness and store check.",
                "responses": { "200": ok("The server can read its store.", json!({"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}, "loads": {"type": "integer"}, "catalogue": {"type": "string"}}}), false) }
            }},
            "/api/indicators": { "get": {
                "operationId": "listIndicators", "summary": "All indicators with labels (nl, en), unit, direction, source, and where they have figures.",
                "parameters": [format_param()],
                "responses": responses(ok("Indicators.", json!({"type": "array", "items": {"$ref": "#/components/schemas/Indicator"}}), true))
            }},
            "/api/regions": { "get": {
                "operationId": "listRegions", "summary": "Regions of a level in the layout (indeling) of a period.",
                "parameters": [level_param(), period_param("Layout year; default the latest stored."), format_param()],
                "responses": responses(ok("Regions.", json!({"type": "object", "required": ["level", "layout", "regions"], "properties": {
                    "level": {"type": "string"}, "layout": {"type": "integer"},
                    "regions": {"type": "array", "items": {"$ref": "#/components/schemas/Region"}}}}), true))
            }},
            "/api/regions/{code}": { "get": {
                "operationId": "regionProfile", "summary": "Region profile: every indicator at the region's level with value, national value, rank and percentile, or why it is absent; person-level stacking tables only as a link (person_stacking).",
                "parameters": [
                    param("code", "path", true, "CBS region code (GM0363, WK036300, BU03630000, NL01, PV27, GG3406).", json!({"type": "string", "pattern": "^(NL[0-9]{2}|PV[0-9]{2}|GG[0-9]{4}|GM[0-9]{4}|WK[0-9]{4}[0-9A-Z]{2}|BU[0-9]{4}[0-9A-Z]{4})$"})),
                    period_param("Period; default the latest with figures for the region."),
                    param("source", "query", false, "Only the indicators of this source (the `source` of an indicator; one table of the profile page).", json!({"type": "string", "minLength": 1})),
                    format_param()
                ],
                "responses": responses(ok("The profile; as CSV one row per indicator with its population and source.", json!({"$ref": "#/components/schemas/Profile"}), true))
            }},
            "/api/observations": { "get": {
                "operationId": "observations", "summary": "An indicator's figures for all regions of a level in a period, with rank, percentile and map classes.",
                "parameters": [
                    indicator_param("Indicator id, see /api/indicators."),
                    level_param(), period_param("Period; default the latest with figures."), format_param()
                ],
                "responses": responses(ok("The table.", json!({"$ref": "#/components/schemas/Table"}), true))
            }},
            "/api/loads": { "get": {
                "operationId": "loads", "summary": "Provenance: every loaded file with checksum, time, publisher and licence.",
                "responses": responses(ok("Loads, newest first.", json!({"type": "array", "items": {"$ref": "#/components/schemas/Load"}}), false))
            }},
            "/api/openapi.json": { "get": {
                "operationId": "openapi", "summary": "This document.",
                "responses": { "200": ok("OpenAPI 3.1 document.", json!({"type": "object"}), false) }
            }}
        },
        "components": { "schemas": {
            "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "object", "required": ["status", "message"], "properties": {
                "status": {"type": "integer"}, "message": {"type": "string"} } } } },
            "Indicator": { "type": "object", "required": ["id", "label", "unit", "direction", "source", "periods", "levels"], "properties": {
                "id": {"type": "string"},
                "label": {"type": "object", "required": ["nl", "en"], "properties": {"nl": {"type": "string"}, "en": {"type": "string"}}},
                "unit": {"type": "string"},
                "direction": {"type": "string", "enum": ["higher_is_worse", "higher_is_better", "neutral"]},
                "source": {"type": "string"}, "decimals": {"type": "integer"}, "additive": {"type": "boolean"},
                "curated": {"type": "boolean", "description": "Described in the catalogue (false: registered from file metadata)."},
                "description": {"type": "string"},
                "periods": {"type": "array", "items": {"type": "integer"}},
                "levels": {"type": "array", "items": {"type": "string"}} } },
            "Region": { "type": "object", "required": ["code"], "properties": {
                "code": {"type": "string"}, "name": {"type": ["string", "null"]}, "parent": {"type": ["string", "null"]} } },
            "National": { "type": ["object", "null"], "properties": {
                "value": {"type": "number"}, "derived": {"type": "boolean", "description": "true: sum over all gemeenten (counts only); false: published."} } },
            "Observation": { "type": "object", "required": ["code", "status"], "properties": {
                "code": {"type": "string"}, "name": {"type": ["string", "null"]},
                "value": nullable_number, "lower": nullable_number, "upper": nullable_number,
                "status": {"type": "string", "enum": ["ok", "suppressed", "missing"]},
                "rank": {"type": ["integer", "null"], "description": "1 = least favourable."},
                "percentile": {"type": ["number", "null"], "minimum": 0, "maximum": 100} } },
            "Table": { "type": "object", "required": ["indicator", "level", "period", "observations"], "properties": {
                "indicator": {"$ref": "#/components/schemas/Indicator"},
                "level": {"type": "string"}, "period": {"type": "integer"}, "layout": {"type": ["integer", "null"]},
                "ranked": {"type": "integer"}, "rank_rule": {"type": "string"}, "percentile_rule": {"type": "string"},
                "national": {"$ref": "#/components/schemas/National"},
                "classes": {"type": ["object", "null"]},
                "observations": {"type": "array", "items": {"$ref": "#/components/schemas/Observation"}} } },
            "Profile": { "type": "object", "required": ["region", "periods", "indicators"], "properties": {
                "region": {"type": "object"}, "period": {"type": ["integer", "null"]},
                "periods": {"type": "array", "items": {"type": "integer"}},
                "indicators": {"type": "array", "items": {"type": "object"}, "description": "Area figures; person-level stacking tables are not among them."},
                "person_stacking": {"type": ["object", "null"], "description": "Person-level stacking tables exist at this level and period (see /api/persons-stacking); synthetic is true when only synthetic ones.", "properties": {"synthetic": {"type": "boolean"}, "href": {"type": "string"}}} } },
            "Load": { "type": "object", "properties": {
                "id": {"type": "integer"}, "file_name": {"type": "string"}, "checksum": {"type": "string"},
                "format": {"type": "string"}, "dataset": {"type": "string"}, "publisher": {"type": "string"},
                "licence": {"type": "string"}, "loaded_at": {"type": "string"}, "notes": {"type": "array", "items": {"type": "string"}} } }
        } }
    })
}

/// `GET /api/openapi.json` (no parameters; an unknown one is refused like on every route).
pub(crate) async fn handler(_: ApiQuery<NoParams>) -> Json<Value> {
    Json(document())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// Each API route (as the OpenAPI document names it) with the query parameters its handler
    /// accepts, for the test that holds the document to them.
    fn query_params() -> Vec<(&'static str, &'static [&'static str])> {
        use crate::api::*;
        use crate::api_time as ti;
        use crate::{api_agenda as ag, api_analysis as an, api_persons as pe, api_risk as ri};
        vec![
            ("/api/indicators", IndicatorsParams::NAMES),
            ("/api/regions", LevelPeriodFormat::NAMES),
            ("/api/regions/{code}", RegionParams::NAMES),
            ("/api/regions/{code}/similar", SimilarParams::NAMES),
            ("/api/search", SearchParams::NAMES),
            ("/api/observations", IndicatorLevelPeriodFormat::NAMES),
            ("/api/loads", NoParams::NAMES),
            ("/api/agenda", NoParams::NAMES),
            ("/api/agenda/{id}", NoParams::NAMES),
            ("/api/radar", ag::RadarParams::NAMES),
            ("/api/composite", LevelPeriodFormat::NAMES),
            ("/api/clusters", an::ClustersParams::NAMES),
            ("/api/shrinkage", IndicatorLevelPeriodFormat::NAMES),
            ("/api/persons-stacking", pe::PersonsStackingParams::NAMES),
            ("/api/breakdowns", pe::BreakdownsParams::NAMES),
            ("/api/characteristics", NoParams::NAMES),
            ("/api/themes", NoParams::NAMES),
            ("/api/groups", NoParams::NAMES),
            ("/api/groups/{id}", ri::GroupParams::NAMES),
            ("/api/stacking", ri::StackingParams::NAMES),
            ("/api/regions/{code}/themes", ri::RegionThemesParams::NAMES),
            ("/api/coverage", ri::CoverageParams::NAMES),
            ("/api/regions/{code}/series", ti::RegionSeriesParams::NAMES),
            ("/api/changes", ti::ChangesParams::NAMES),
            ("/api/warnings", LevelPeriod::NAMES),
            ("/api/openapi.json", NoParams::NAMES),
            ("/healthz", NoParams::NAMES),
        ]
    }

    /// The document lists, for every route, exactly the query parameters its handler's
    /// parameter struct accepts (the handler refuses any other name), and documents every
    /// route that has such a struct.
    #[test]
    fn query_parameters_match_the_handlers() {
        let doc = super::document();
        let paths = doc["paths"].as_object().expect("paths");
        let handlers = query_params();
        for (path, names) in &handlers {
            let op = &paths
                .get(*path)
                .unwrap_or_else(|| panic!("{path} is not in the document"))["get"];
            let documented: BTreeSet<&str> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "query")
                        .filter_map(|p| p["name"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            let accepted: BTreeSet<&str> = names.iter().copied().collect();
            assert_eq!(documented, accepted, "query parameters of {path}");
        }
        let covered: BTreeSet<&str> = handlers.iter().map(|(p, _)| *p).collect();
        for path in paths.keys() {
            assert!(
                covered.contains(path.as_str()),
                "{path} has no parameter struct in query_params"
            );
        }
    }
}
