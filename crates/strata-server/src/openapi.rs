//! The OpenAPI document the server publishes at `/api/v0/openapi.json`.

pub const OPENAPI_JSON: &str = include_str!("openapi.json");

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::OPENAPI_JSON;
    use crate::{PUBLIC_PATHS, served_routes};

    /// The keys of an OpenAPI path item that are operations.
    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];

    fn document() -> Value {
        serde_json::from_str(OPENAPI_JSON).expect("openapi.json is not valid JSON")
    }

    fn paths(doc: &Value) -> &serde_json::Map<String, Value> {
        doc["paths"].as_object().expect("the document has no paths")
    }

    /// Every (method, path) the document describes, methods lowercase as OpenAPI spells them.
    fn documented(doc: &Value) -> BTreeSet<(String, String)> {
        paths(doc)
            .iter()
            .flat_map(|(path, item)| {
                METHODS
                    .iter()
                    .filter(|m| item.get(**m).is_some())
                    .map(move |m| (m.to_string(), path.clone()))
            })
            .collect()
    }

    fn served() -> BTreeSet<(String, String)> {
        served_routes()
            .into_iter()
            .map(|(method, path)| (method.to_string(), path))
            .collect()
    }

    /// Follows a `$ref` to `#/components/...`, or returns the value itself.
    fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
        match value.get("$ref").and_then(Value::as_str) {
            Some(pointer) => {
                let pointer = pointer
                    .strip_prefix('#')
                    .expect("only local $refs are used");
                doc.pointer(pointer)
                    .unwrap_or_else(|| panic!("$ref {pointer} does not resolve"))
            }
            None => value,
        }
    }

    #[test]
    fn documents_every_served_route() {
        let documented = documented(&document());
        let missing: Vec<_> = served().difference(&documented).cloned().collect();
        assert!(
            missing.is_empty(),
            "served but not in openapi.json: {missing:?}"
        );
    }

    #[test]
    fn documents_nothing_the_server_lacks() {
        let served = served();
        let extra: Vec<_> = documented(&document())
            .into_iter()
            .filter(|route| !served.contains(route))
            .collect();
        assert!(
            extra.is_empty(),
            "in openapi.json but not served: {extra:?}"
        );
    }

    #[test]
    fn declares_exactly_the_path_parameters_of_each_path() {
        let doc = document();
        for (path, item) in paths(&doc) {
            let in_path: BTreeSet<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .collect();
            for method in METHODS.iter().filter(|m| item.get(**m).is_some()) {
                let declared: BTreeSet<&str> = [&item["parameters"], &item[*method]["parameters"]]
                    .into_iter()
                    .filter_map(Value::as_array)
                    .flatten()
                    .map(|p| resolve(&doc, p))
                    .filter(|p| p["in"] == "path")
                    .map(|p| {
                        assert_eq!(
                            p["required"], true,
                            "{method} {path}: path params are required"
                        );
                        p["name"].as_str().expect("a parameter without a name")
                    })
                    .collect();
                assert_eq!(declared, in_path, "{method} {path}: path parameters");
            }
        }
    }

    #[test]
    fn management_routes_need_a_bearer_token_and_public_ones_nothing() {
        let doc = document();
        let bearer = serde_json::json!([{ "bearerAuth": [] }]);
        assert_eq!(
            doc["components"]["securitySchemes"]["bearerAuth"]["scheme"],
            "bearer"
        );
        for (method, path) in documented(&doc) {
            let security = &doc["paths"][&path][&method]["security"];
            if PUBLIC_PATHS.contains(&path.as_str()) {
                assert_eq!(security, &serde_json::json!([]), "{method} {path}");
            } else {
                assert_eq!(security, &bearer, "{method} {path}");
            }
        }
    }

    #[test]
    fn every_ref_resolves_and_ids_are_unique() {
        fn walk<'a>(value: &'a Value, refs: &mut Vec<&'a str>) {
            match value {
                Value::Object(map) => {
                    if let Some(r) = map.get("$ref").and_then(Value::as_str) {
                        refs.push(r);
                    }
                    map.values().for_each(|v| walk(v, refs));
                }
                Value::Array(items) => items.iter().for_each(|v| walk(v, refs)),
                _ => {}
            }
        }
        let doc = document();
        assert_eq!(doc["openapi"], "3.0.3");
        assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
        let mut refs = Vec::new();
        walk(&doc, &mut refs);
        for r in refs {
            let pointer = r.strip_prefix('#').expect("only local $refs are used");
            assert!(doc.pointer(pointer).is_some(), "$ref {r} does not resolve");
        }
        let mut ids = BTreeSet::new();
        for (method, path) in documented(&doc) {
            let id = doc["paths"][&path][&method]["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(ids.insert(id), "operationId {id} is used twice");
        }
    }
}
