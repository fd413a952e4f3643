//! HTTP pieces both binaries use.

use reqwest::Url;
use reqwest::header::HeaderValue;

/// `path` under the server's base URL `base` (the `--url` flag), with `query` as its
/// parameters. A path prefix of `base` (a proxy's mount point) is kept.
pub fn endpoint_url(base: &str, path: &str, query: &[(&str, &str)]) -> Result<Url, String> {
    let mut url = Url::parse(base).map_err(|e| format!("--url {base:?}: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("--url {base:?} must be http:// or https://"));
    }
    let prefix = url.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("{prefix}{path}"));
    url.query_pairs_mut().clear().extend_pairs(query);
    Ok(url)
}

/// The `Authorization` header for a token, marked sensitive so that it never shows in logs.
pub fn bearer(token: &str) -> Result<HeaderValue, String> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| "the token has characters a header cannot carry".to_owned())?;
    value.set_sensitive(true);
    Ok(value)
}

/// The error and its causes, which is where reqwest says what actually went wrong.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_urls() {
        let url = |base, path| endpoint_url(base, path, &[("db", "my db/rp"), ("q", "a=b")]);
        assert_eq!(
            url("http://127.0.0.1:8086", "/query").unwrap().as_str(),
            "http://127.0.0.1:8086/query?db=my+db%2Frp&q=a%3Db"
        );
        assert_eq!(
            url("https://db.example/strata/?x=1", "/api/v3/query_sql")
                .unwrap()
                .as_str(),
            "https://db.example/strata/api/v3/query_sql?db=my+db%2Frp&q=a%3Db"
        );
        assert!(url("ftp://x", "/query").unwrap_err().contains("http://"));
        assert!(url("not a url", "/query").unwrap_err().contains("--url"));
    }

    #[test]
    fn bearer_headers_are_sensitive() {
        assert!(bearer("strata_db_x").unwrap().is_sensitive());
        assert!(bearer("bad\ntoken").is_err());
    }
}
