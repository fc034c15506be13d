//! The OpenAPI 3 document of the API. Written by hand next to the handlers; a test checks that
//! every API route is documented and that the document is valid OpenAPI.

use axum::Json;
use serde_json::{json, Value};

fn param(name: &str, location: &str, required: bool, description: &str, schema: Value) -> Value {
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
    let nullable_number = json!({"type": ["number", "null"]});
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Kwetsbaarheidsmonitor API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Figures per gemeente, wijk and buurt on vulnerability, with ranks and percentiles, region profiles and provenance. Areas and tables only: the API never describes persons.",
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
                "operationId": "regionProfile", "summary": "Region profile: every indicator at the region's level with value, national value, rank and percentile, or why it is absent.",
                "parameters": [
                    param("code", "path", true, "CBS region code (GM0363, WK036300, BU03630000, NL01, PV27, GG3406).", json!({"type": "string", "pattern": "^(NL\\d{2}|PV\\d{2}|GG\\d{4}|GM\\d{4}|WK\\d{4}[0-9A-Z]{2}|BU\\d{4}[0-9A-Z]{4})$"})),
                    period_param("Period; default the latest with figures for the region.")
                ],
                "responses": responses(ok("The profile.", json!({"$ref": "#/components/schemas/Profile"}), false))
            }},
            "/api/observations": { "get": {
                "operationId": "observations", "summary": "An indicator's figures for all regions of a level in a period, with rank, percentile and map classes.",
                "parameters": [
                    param("indicator", "query", true, "Indicator id, see /api/indicators.", json!({"type": "string", "pattern": "^[a-z][a-z0-9_]{0,63}$"})),
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
                "indicators": {"type": "array", "items": {"type": "object"}} } },
            "Load": { "type": "object", "properties": {
                "id": {"type": "integer"}, "file_name": {"type": "string"}, "checksum": {"type": "string"},
                "format": {"type": "string"}, "dataset": {"type": "string"}, "publisher": {"type": "string"},
                "licence": {"type": "string"}, "loaded_at": {"type": "string"}, "notes": {"type": "array", "items": {"type": "string"}} } }
        } }
    })
}

/// `GET /api/openapi.json`
pub async fn handler() -> Json<Value> {
    Json(document())
}
