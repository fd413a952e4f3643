use std::time::{Duration, Instant};

use reqwest::{Method, Url, header};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::config::{ClientConfig, TlsConfig, UrlShape};
use crate::error::{Error, transport};
use crate::observe::{HttpEvent, REDACTED, header_pairs, redact, redact_form};
use crate::types::*;

/// A Management API client. Cheap to clone; clones share one connection pool.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    config: ClientConfig,
}

/// What a request sends: nothing, a JSON body, form fields, or line protocol.
pub(crate) enum Body {
    None,
    Json(String),
    Form(Vec<(String, String)>),
    LineProtocol(bytes::Bytes),
}

/// A server's answer: its status, how long it asked to be left alone, and its body.
pub(crate) struct Answer {
    pub status: reqwest::StatusCode,
    /// `Retry-After` in seconds (the HTTP-date form is not used by Strata).
    pub retry_after: Option<Duration>,
    pub text: String,
}

/// The `Content-Type` of line protocol bodies.
pub(crate) const LINE_PROTOCOL_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

/// At most this much of a line protocol body is shown to the observer.
const SHOWN_LINE_PROTOCOL: usize = 500;

/// A line protocol body for logs: its start (secrets redacted) and its size.
fn show_line_protocol(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(SHOWN_LINE_PROTOCOL)]);
    if body.len() <= SHOWN_LINE_PROTOCOL {
        return redact(&text);
    }
    let lines = body.iter().filter(|b| **b == b'\n').count() + usize::from(!body.ends_with(b"\n"));
    format!(
        "{}… ({} bytes, {lines} lines of line protocol)",
        redact(&text),
        body.len()
    )
}

/// A TLS file the configuration names (`what` says which, for the error).
pub(crate) fn read_file(what: &str, path: &std::path::Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path)
        .map_err(|e| Error::config(format!("cannot read the {what} {}: {e}", path.display())))
}

fn http_client(config: &ClientConfig) -> Result<reqwest::Client, Error> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .user_agent(config.user_agent.clone());
    if let Some(timeout) = config.timeout {
        builder = builder.timeout(timeout).connect_timeout(timeout);
    }
    let TlsConfig {
        ca_file,
        insecure_skip_verify,
        client_cert,
        client_key,
    } = &config.tls;
    if let Some(path) = ca_file {
        let pem = read_file("CA file", path)?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            Error::config(format!(
                "the CA file {} is not a PEM certificate bundle: {e}",
                path.display()
            ))
        })?;
        if certs.is_empty() {
            return Err(Error::config(format!(
                "the CA file {} holds no PEM certificate",
                path.display()
            )));
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    if *insecure_skip_verify {
        builder = builder.danger_accept_invalid_certs(true);
    }
    match (client_cert, client_key) {
        (Some(cert), Some(key)) => {
            let mut pem = read_file("client certificate", cert)?;
            pem.push(b'\n');
            pem.extend(read_file("client key", key)?);
            let identity = reqwest::Identity::from_pem(&pem).map_err(|e| {
                Error::config(format!(
                    "the client certificate {} and key {} are not a PEM certificate and private key: {e}",
                    cert.display(),
                    key.display()
                ))
            })?;
            builder = builder.identity(identity);
        }
        (Some(_), None) => {
            return Err(Error::config(
                "a client certificate needs its private key: give the key file too",
            ));
        }
        (None, Some(_)) => {
            return Err(Error::config(
                "a client key needs its certificate: give the certificate file too",
            ));
        }
        (None, None) => {}
    }
    builder
        .build()
        .map_err(|e| Error::config(format!("cannot set up the HTTP client: {e}")))
}

impl Client {
    /// Builds a client; reads the TLS files the configuration names.
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        Ok(Self {
            http: http_client(&config)?,
            config,
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The base URL extended by `segments`, each percent-encoded as one path segment (so a
    /// database name such as `db/rp` stays one segment).
    pub(crate) fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.config.base_url.clone();
        url.path_segments_mut()
            .expect("base URLs are checked to be hierarchical")
            .pop_if_empty()
            .extend(segments);
        url
    }

    /// `…/api/v0` or `…/api/v0/accounts/{a}/clusters/{c}` followed by `segments`.
    fn management_url(&self, segments: &[&str]) -> Url {
        let mut all: Vec<&str> = vec!["api", "v0"];
        if let UrlShape::Dedicated {
            account_id,
            cluster_id,
        } = &self.config.shape
        {
            all.extend(["accounts", account_id, "clusters", cluster_id]);
        }
        all.extend(segments);
        self.url(&all)
    }

    /// `…/api/v0/clusters` or `…/api/v0/accounts/{a}/clusters`, followed by `segments`.
    fn clusters_url(&self, segments: &[&str]) -> Url {
        let mut all: Vec<&str> = vec!["api", "v0"];
        if let UrlShape::Dedicated { account_id, .. } = &self.config.shape {
            all.extend(["accounts", account_id]);
        }
        all.push("clusters");
        all.extend(segments);
        self.url(&all)
    }

    /// Sends a request and returns the body of a successful answer; an error status becomes
    /// an [`Error::Api`].
    async fn send(&self, method: Method, url: Url, body: Body) -> Result<String, Error> {
        let (status, text) = self.exchange(method, url, body, true).await?;
        if status.is_success() {
            return Ok(text);
        }
        Err(api_error(status, &text))
    }

    /// Sends a request (with the bearer token when `authorize` and the configuration has
    /// one) and returns the answer's status and body, whatever the status. Every step is
    /// shown to the observer, redacted.
    pub(crate) async fn exchange(
        &self,
        method: Method,
        url: Url,
        body: Body,
        authorize: bool,
    ) -> Result<(reqwest::StatusCode, String), Error> {
        let answer = self.answer(method, url, body, authorize).await?;
        Ok((answer.status, answer.text))
    }

    /// [`Client::exchange`], with the answer's `Retry-After`.
    pub(crate) async fn answer(
        &self,
        method: Method,
        url: Url,
        body: Body,
        authorize: bool,
    ) -> Result<Answer, Error> {
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .header(header::ACCEPT, "application/json");
        let mut shown_headers = vec![("Accept".to_string(), "application/json".to_string())];
        if authorize && let Some(token) = &self.config.token {
            request = request.bearer_auth(token.expose());
            shown_headers.push(("Authorization".to_string(), format!("Bearer {REDACTED}")));
        }
        let shown_body = match body {
            Body::None => None,
            Body::Json(text) => {
                let shown = redact(&text);
                request = request
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(text);
                shown_headers.push(("Content-Type".to_string(), "application/json".to_string()));
                Some(shown)
            }
            Body::Form(fields) => {
                request = request.form(&fields);
                shown_headers.push((
                    "Content-Type".to_string(),
                    "application/x-www-form-urlencoded".to_string(),
                ));
                Some(redact_form(&fields))
            }
            Body::LineProtocol(bytes) => {
                let shown = show_line_protocol(&bytes);
                request = request
                    .header(header::CONTENT_TYPE, LINE_PROTOCOL_CONTENT_TYPE)
                    .body(bytes);
                shown_headers.push((
                    "Content-Type".to_string(),
                    LINE_PROTOCOL_CONTENT_TYPE.to_string(),
                ));
                Some(shown)
            }
        };
        let shown_url = redact(url.as_str());
        let observer = self.config.observer.as_ref();
        if let Some(observe) = observer {
            observe(&HttpEvent::Request {
                method: method.as_str(),
                url: &shown_url,
                headers: &shown_headers,
                body: shown_body.as_deref(),
            });
        }
        let started = Instant::now();
        let result = async {
            let response = request.send().await?;
            let status = response.status();
            let headers = header_pairs(response.headers());
            let retry_after = crate::retry::retry_after(response.headers());
            let text = response.text().await?;
            Ok::<_, reqwest::Error>((status, headers, retry_after, text))
        }
        .await;
        let origin = url.origin().ascii_serialization();
        let (status, headers, retry_after, text) = match result {
            Ok(answer) => answer,
            Err(e) => {
                let error = transport(&e, &origin, self.config.timeout);
                if let Some(observe) = observer {
                    observe(&HttpEvent::Failed {
                        method: method.as_str(),
                        url: &shown_url,
                        elapsed: started.elapsed(),
                        error: &redact(&error.to_string()),
                    });
                }
                return Err(error);
            }
        };
        if let Some(observe) = observer {
            observe(&HttpEvent::Response {
                method: method.as_str(),
                url: &shown_url,
                status: status.as_u16(),
                elapsed: started.elapsed(),
                headers: &headers,
                body: &redact(&text),
            });
        }
        Ok(Answer {
            status,
            retry_after,
            text,
        })
    }

    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Body,
    ) -> Result<T, Error> {
        let path = url.path().to_string();
        let text = self.send(method.clone(), url, body).await?;
        serde_json::from_str(&text).map_err(|e| Error::Decode {
            status: 200,
            method: method.to_string(),
            path: redact(&path),
            detail: format!("the body does not match the API's schema: {e}"),
        })
    }

    async fn call_empty(&self, method: Method, url: Url) -> Result<(), Error> {
        self.send(method, url, Body::None).await.map(drop)
    }

    pub(crate) fn json<T: Serialize>(value: &T) -> Body {
        // The request types are plain data; serializing them cannot fail.
        Body::Json(serde_json::to_string(value).expect("request bodies serialize"))
    }

    // --- databases -------------------------------------------------------------------

    /// `GET /databases?status=…`
    pub async fn list_databases(&self, status: StatusFilter) -> Result<Vec<Database>, Error> {
        let mut url = self.management_url(&["databases"]);
        url.query_pairs_mut().append_pair("status", status.as_str());
        self.call(Method::GET, url, Body::None).await
    }

    /// `POST /databases`
    pub async fn create_database(&self, request: &CreateDatabase) -> Result<Database, Error> {
        let url = self.management_url(&["databases"]);
        self.call(Method::POST, url, Self::json(request)).await
    }

    /// `PATCH /databases/{databaseName}`
    pub async fn update_database(
        &self,
        name: &str,
        request: &UpdateDatabase,
    ) -> Result<Database, Error> {
        let url = self.management_url(&["databases", name]);
        self.call(Method::PATCH, url, Self::json(request)).await
    }

    /// `DELETE /databases/{databaseName}`: a soft delete, undone by
    /// [`undelete_database`](Self::undelete_database) within the server's window.
    pub async fn delete_database(&self, name: &str) -> Result<(), Error> {
        let url = self.management_url(&["databases", name]);
        self.call_empty(Method::DELETE, url).await
    }

    /// `PUT /databases/{databaseName}/rename`
    pub async fn rename_database(&self, name: &str, new_name: &str) -> Result<Database, Error> {
        let url = self.management_url(&["databases", name, "rename"]);
        let body = Rename {
            name: new_name.to_string(),
        };
        self.call(Method::PUT, url, Self::json(&body)).await
    }

    /// `PUT /databases/{databaseId}/undelete`, by numeric id.
    pub async fn undelete_database(&self, id: i64) -> Result<Database, Error> {
        let id = id.to_string();
        let url = self.management_url(&["databases", &id, "undelete"]);
        self.call(Method::PUT, url, Body::None).await
    }

    // --- tables ----------------------------------------------------------------------

    /// `POST /databases/{databaseName}/tables`
    pub async fn create_table(
        &self,
        database: &str,
        request: &CreateTable,
    ) -> Result<Table, Error> {
        let url = self.management_url(&["databases", database, "tables"]);
        self.call(Method::POST, url, Self::json(request)).await
    }

    /// `GET /databases/{databaseName}/tables?status=…`
    pub async fn list_tables(
        &self,
        database: &str,
        status: StatusFilter,
    ) -> Result<Vec<Table>, Error> {
        let mut url = self.management_url(&["databases", database, "tables"]);
        url.query_pairs_mut().append_pair("status", status.as_str());
        self.call(Method::GET, url, Body::None).await
    }

    /// `DELETE /databases/{databaseName}/tables/{tableName}`
    pub async fn delete_table(&self, database: &str, table: &str) -> Result<(), Error> {
        let url = self.management_url(&["databases", database, "tables", table]);
        self.call_empty(Method::DELETE, url).await
    }

    /// `PUT /databases/{databaseName}/tables/{tableName}/rename`
    pub async fn rename_table(
        &self,
        database: &str,
        table: &str,
        new_name: &str,
    ) -> Result<Table, Error> {
        let url = self.management_url(&["databases", database, "tables", table, "rename"]);
        let body = Rename {
            name: new_name.to_string(),
        };
        self.call(Method::PUT, url, Self::json(&body)).await
    }

    /// `PUT /databases/{databaseName}/tables/{tableId}/undelete`, by numeric id.
    pub async fn undelete_table(&self, database: &str, id: i64) -> Result<Table, Error> {
        let id = id.to_string();
        let url = self.management_url(&["databases", database, "tables", &id, "undelete"]);
        self.call(Method::PUT, url, Body::None).await
    }

    // --- database tokens -------------------------------------------------------------

    /// `GET /tokens?includeRevoked=…`
    pub async fn list_database_tokens(
        &self,
        include_revoked: bool,
    ) -> Result<Vec<DatabaseToken>, Error> {
        let mut url = self.management_url(&["tokens"]);
        if include_revoked {
            url.query_pairs_mut().append_pair("includeRevoked", "true");
        }
        self.call(Method::GET, url, Body::None).await
    }

    /// `POST /tokens`: the answer carries the secret, once.
    pub async fn create_database_token(
        &self,
        request: &CreateDatabaseToken,
    ) -> Result<CreatedDatabaseToken, Error> {
        let url = self.management_url(&["tokens"]);
        self.call(Method::POST, url, Self::json(request)).await
    }

    /// `GET /tokens/{tokenId}`: revoked tokens too, with `revoked_at`.
    pub async fn get_database_token(&self, id: Uuid) -> Result<DatabaseToken, Error> {
        let id = id.to_string();
        let url = self.management_url(&["tokens", &id]);
        self.call(Method::GET, url, Body::None).await
    }

    /// `PATCH /tokens/{tokenId}`
    pub async fn update_database_token(
        &self,
        id: Uuid,
        request: &UpdateDatabaseToken,
    ) -> Result<DatabaseToken, Error> {
        let id = id.to_string();
        let url = self.management_url(&["tokens", &id]);
        self.call(Method::PATCH, url, Self::json(request)).await
    }

    /// `DELETE /tokens/{tokenId}`: revocation is immediate and irreversible.
    pub async fn revoke_database_token(&self, id: Uuid) -> Result<(), Error> {
        let id = id.to_string();
        let url = self.management_url(&["tokens", &id]);
        self.call_empty(Method::DELETE, url).await
    }

    // --- management tokens -----------------------------------------------------------

    /// `GET /managementTokens`: revoked ones included.
    pub async fn list_management_tokens(&self) -> Result<Vec<ManagementToken>, Error> {
        let url = self.management_url(&["managementTokens"]);
        self.call(Method::GET, url, Body::None).await
    }

    /// `POST /managementTokens`: the answer carries the secret, once.
    pub async fn create_management_token(
        &self,
        request: &CreateManagementToken,
    ) -> Result<CreatedManagementToken, Error> {
        let url = self.management_url(&["managementTokens"]);
        self.call(Method::POST, url, Self::json(request)).await
    }

    /// `GET /managementTokens/{tokenId}`
    pub async fn get_management_token(&self, id: Uuid) -> Result<ManagementToken, Error> {
        let id = id.to_string();
        let url = self.management_url(&["managementTokens", &id]);
        self.call(Method::GET, url, Body::None).await
    }

    /// `DELETE /managementTokens/{tokenId}`: irreversible; the token stays listed.
    pub async fn revoke_management_token(&self, id: Uuid) -> Result<(), Error> {
        let id = id.to_string();
        let url = self.management_url(&["managementTokens", &id]);
        self.call_empty(Method::DELETE, url).await
    }

    // --- clusters, users, audit log --------------------------------------------------

    /// `GET /api/v0/clusters` (clustered) or `GET /api/v0/accounts/{accountId}/clusters`
    /// (dedicated).
    pub async fn list_clusters(&self) -> Result<Vec<Cluster>, Error> {
        let url = self.clusters_url(&[]);
        self.call(Method::GET, url, Body::None).await
    }

    /// `GET …/clusters/{clusterId}`
    pub async fn get_cluster(&self, id: &str) -> Result<Cluster, Error> {
        let url = self.clusters_url(&[id]);
        self.call(Method::GET, url, Body::None).await
    }

    /// `GET /users`
    pub async fn list_users(&self) -> Result<Vec<User>, Error> {
        let url = self.management_url(&["users"]);
        self.call(Method::GET, url, Body::None).await
    }

    /// `GET /users/{userId}`
    pub async fn get_user(&self, id: Uuid) -> Result<User, Error> {
        let id = id.to_string();
        let url = self.management_url(&["users", &id]);
        self.call(Method::GET, url, Body::None).await
    }

    /// `POST /users`: invites (creates) a user.
    pub async fn invite_user(&self, request: &InviteUser) -> Result<User, Error> {
        let url = self.management_url(&["users"]);
        self.call(Method::POST, url, Self::json(request)).await
    }

    /// `PATCH /users/{userId}`: names, group and/or password (at least one).
    pub async fn update_user(&self, id: Uuid, request: &UpdateUser) -> Result<User, Error> {
        let id = id.to_string();
        let url = self.management_url(&["users", &id]);
        self.call(Method::PATCH, url, Self::json(request)).await
    }

    /// `DELETE /users/{userId}`: removes the user at once; their sessions stop working. The
    /// server refuses (409) to remove the last Admin.
    pub async fn remove_user(&self, id: Uuid) -> Result<(), Error> {
        let id = id.to_string();
        let url = self.management_url(&["users", &id]);
        self.call_empty(Method::DELETE, url).await
    }

    /// `GET /auditLog`: one page, newest first. To read the next page, repeat the query
    /// with `before` set to the id of the last entry returned.
    pub async fn list_audit_log(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, Error> {
        let mut url = self.management_url(&["auditLog"]);
        {
            let mut pairs = url.query_pairs_mut();
            let rfc3339 = |t: &chrono::DateTime<chrono::Utc>| {
                t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
            };
            if let Some(actor) = &query.actor {
                pairs.append_pair("actor", actor);
            }
            if let Some(action) = &query.action {
                pairs.append_pair("action", action);
            }
            if let Some(since) = &query.since {
                pairs.append_pair("since", &rfc3339(since));
            }
            if let Some(until) = &query.until {
                pairs.append_pair("until", &rfc3339(until));
            }
            if let Some(before) = query.before {
                pairs.append_pair("before", &before.to_string());
            }
            if let Some(limit) = query.limit {
                pairs.append_pair("limit", &limit.to_string());
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        self.call(Method::GET, url, Body::None).await
    }
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    code: Option<i64>,
    message: String,
}

/// An error answer: the server's `{code, message}`, or what the body was if not that.
pub(crate) fn api_error(status: reqwest::StatusCode, text: &str) -> Error {
    let (code, message) = match serde_json::from_str::<ErrorBody>(text) {
        Ok(body) => (body.code, redact(&body.message)),
        Err(_) => {
            let text = text.trim();
            let message = if text.is_empty() {
                format!(
                    "the server answered {} without an error message",
                    status.as_u16()
                )
            } else {
                let shown: String = text.chars().take(200).collect();
                format!("the server answered: {}", redact(&shown))
            };
            (None, message)
        }
    };
    Error::Api {
        status: status.as_u16(),
        code,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(shape: UrlShape) -> Client {
        Client::new(ClientConfig::new("http://h:1/prefix/", shape).unwrap()).unwrap()
    }

    #[test]
    fn both_url_shapes() {
        let clustered = client(UrlShape::Clustered);
        assert_eq!(
            clustered.management_url(&["databases", "db/rp"]).as_str(),
            "http://h:1/prefix/api/v0/databases/db%2Frp"
        );
        assert_eq!(
            clustered.clusters_url(&["c"]).as_str(),
            "http://h:1/prefix/api/v0/clusters/c"
        );
        let dedicated = client(UrlShape::Dedicated {
            account_id: "a".into(),
            cluster_id: "c".into(),
        });
        assert_eq!(
            dedicated.management_url(&["tokens"]).as_str(),
            "http://h:1/prefix/api/v0/accounts/a/clusters/c/tokens"
        );
        assert_eq!(
            dedicated.clusters_url(&[]).as_str(),
            "http://h:1/prefix/api/v0/accounts/a/clusters"
        );
        assert_eq!(
            dedicated
                .management_url(&["databases", "a b", "tables", "t?x"])
                .as_str(),
            "http://h:1/prefix/api/v0/accounts/a/clusters/c/databases/a%20b/tables/t%3Fx"
        );
    }

    #[test]
    fn error_bodies() {
        let e = api_error(
            reqwest::StatusCode::CONFLICT,
            r#"{"code":409,"message":"database \"x\" exists"}"#,
        );
        assert_eq!(
            e,
            Error::Api {
                status: 409,
                code: Some(409),
                message: "database \"x\" exists".into()
            }
        );
        let e = api_error(reqwest::StatusCode::BAD_GATEWAY, "<html>bad gateway</html>");
        assert_eq!(e.status(), Some(502));
        assert!(e.to_string().contains("bad gateway"), "{e}");
        let e = api_error(reqwest::StatusCode::UNAUTHORIZED, "");
        assert!(e.is_unauthorized());
    }

    #[test]
    fn line_protocol_bodies_are_shown_short_and_redacted() {
        assert_eq!(show_line_protocol(b"cpu v=1\nmem v=2"), "cpu v=1\nmem v=2");
        let long = "cpu,host=a usage=0.5\n".repeat(100);
        let shown = show_line_protocol(long.as_bytes());
        assert!(shown.len() < 600, "{shown}");
        assert!(
            shown.ends_with("… (2100 bytes, 100 lines of line protocol)"),
            "{shown}"
        );
        let secret = show_line_protocol(b"m token=\"strata_db_abcdefghijkl\"");
        assert!(!secret.contains("abcdefghijkl"), "{secret}");
    }

    #[test]
    fn tls_files_are_read_when_the_client_is_built() {
        let config = ClientConfig::new("https://h:1", UrlShape::Clustered)
            .unwrap()
            .with_tls(TlsConfig {
                ca_file: Some("/nonexistent/ca.pem".into()),
                ..TlsConfig::default()
            });
        let e = Client::new(config).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");
        let config = ClientConfig::new("https://h:1", UrlShape::Clustered)
            .unwrap()
            .with_tls(TlsConfig {
                client_cert: Some("/x.pem".into()),
                ..TlsConfig::default()
            });
        assert!(Client::new(config).unwrap_err().to_string().contains("key"));
    }
}
