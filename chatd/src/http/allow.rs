//! The `Allow` header of a 405 answer: which methods a path does take.
//!
//! The table comes from the OpenAPI document, which is generated from the
//! handlers themselves, so it lists exactly the routes that exist.

use std::sync::LazyLock;

use warp::http::{HeaderValue, StatusCode};
use warp::reply::Response;

/// Path templates split into segments (`None` matches any one segment, as
/// `{room_id}` does) with the methods each takes.
static ROUTES: LazyLock<Vec<(Vec<Option<String>>, String)>> = LazyLock::new(|| {
    super::openapi::document()
        .paths
        .paths
        .iter()
        .map(|(template, item)| {
            let segments = segments(template)
                .map(|s| (!s.starts_with('{')).then(|| s.to_owned()))
                .collect();
            let mut methods: Vec<&str> = [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("PATCH", item.patch.is_some()),
                ("DELETE", item.delete.is_some()),
            ]
            .into_iter()
            .filter_map(|(m, present)| present.then_some(m))
            .collect();
            methods.sort_unstable();
            (segments, methods.join(", "))
        })
        .collect()
});

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// The methods `path` takes, if any route matches it.
pub fn methods_for(path: &str) -> Option<&'static str> {
    let wanted: Vec<&str> = segments(path).collect();
    ROUTES.iter().find_map(|(template, methods)| {
        let matches = template.len() == wanted.len()
            && template
                .iter()
                .zip(&wanted)
                .all(|(t, w)| t.as_deref().is_none_or(|t| t == *w));
        matches.then_some(methods.as_str())
    })
}

/// Adds `Allow` to a 405 answer (RFC 9110 requires it).
pub fn add_header(path: &str, mut response: Response) -> Response {
    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && let Some(methods) = methods_for(path)
        && let Ok(value) = HeaderValue::from_str(methods)
    {
        response.headers_mut().insert("allow", value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_concrete_paths() {
        assert_eq!(methods_for("/api/v1/me"), Some("GET, PATCH"));
        assert_eq!(
            methods_for("/api/v1/rooms/42/messages/7"),
            Some("DELETE, GET, PATCH")
        );
        assert_eq!(methods_for("/api/v1/rooms/42/join"), Some("POST"));
        assert_eq!(methods_for("/api/v1/nothing"), None);
    }
}
