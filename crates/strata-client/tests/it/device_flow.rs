//! Sign-in through the OAuth2 device flow: discovery, start, pending, slow_down, approve,
//! deny and expiry, with nothing secret shown to the observer.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use strata_client::{
    Client, ClientConfig, Error, HttpEvent, OAuth2Settings, Poll, StatusFilter, UrlShape,
};

use crate::harness::{ADMIN_EMAIL, ADMIN_PASSWORD, Server};

/// Every request the client made: when, method, URL, and the whole event as logged.
type Seen = Arc<Mutex<Vec<(Instant, String, String, String)>>>;

fn client(server: &Server) -> (Client, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let config = ClientConfig::new(&server.base, UrlShape::Clustered)
        .unwrap()
        .with_timeout(Duration::from_secs(30))
        .with_observer(Arc::new(move |event: &HttpEvent<'_>| {
            let (method, url) = match event {
                HttpEvent::Request { method, url, .. }
                | HttpEvent::Response { method, url, .. }
                | HttpEvent::Failed { method, url, .. } => (method.to_string(), url.to_string()),
            };
            let kind = match event {
                HttpEvent::Request { .. } => "request",
                HttpEvent::Response { .. } => "response",
                HttpEvent::Failed { .. } => "failed",
            };
            log.lock().unwrap().push((
                Instant::now(),
                format!("{kind} {method}"),
                url,
                format!("{event:?}"),
            ));
        }));
    (Client::new(config).unwrap(), seen)
}

fn token_polls(seen: &Seen) -> Vec<Instant> {
    seen.lock()
        .unwrap()
        .iter()
        .filter(|(_, kind, url, _)| kind == "request POST" && url.ends_with("/oauth/token"))
        .map(|(at, ..)| *at)
        .collect()
}

/// Answers the sign-in page for `user_code` as the harness's first Admin with `action`
/// (`approve` or `deny`).
async fn answer_as_admin(server: &Server, user_code: &str, action: &str) {
    let (status, page) = server
        .submit_sign_in(user_code, ADMIN_EMAIL, ADMIN_PASSWORD, action)
        .await;
    assert!(status.is_success(), "{page}");
}

#[tokio::test]
async fn approve_gives_a_session_for_the_management_api() {
    let server = Server::start();
    let (client, seen) = client(&server);
    let flow = client.device_flow(OAuth2Settings::default()).await.unwrap();
    assert_eq!(
        flow.endpoints().issuer.as_deref(),
        Some(server.base.as_str())
    );
    assert_eq!(
        flow.endpoints().token_url.as_str(),
        format!("{}/oauth/token", server.base)
    );
    let authorization = flow.start().await.unwrap();
    assert_eq!(
        authorization.verification_uri,
        format!("{}/device", server.base)
    );
    assert!(
        authorization
            .url_to_open()
            .ends_with(&format!("?user_code={}", authorization.user_code)),
        "{}",
        authorization.url_to_open()
    );
    assert_eq!(authorization.interval, Duration::from_secs(5));
    assert_eq!(authorization.expires_in, Duration::from_secs(600));
    assert!(!format!("{authorization:?}").contains(authorization.device_code.expose()));

    // Polling before approval: pending, then slow_down for polling too soon.
    assert_eq!(flow.poll(&authorization).await.unwrap(), Poll::Pending);
    assert_eq!(flow.poll(&authorization).await.unwrap(), Poll::SlowDown);

    answer_as_admin(&server, &authorization.user_code, "approve").await;
    let session = flow.wait(&authorization).await.unwrap();
    assert_eq!(session.token_type, "Bearer");
    let expires_at = session.expires_at.unwrap();
    let lifetime = expires_at - chrono::Utc::now();
    assert!(
        lifetime > chrono::TimeDelta::minutes(59) && lifetime <= chrono::TimeDelta::hours(1),
        "{expires_at}"
    );
    let claims = session.unverified_claims().unwrap();
    assert_eq!(claims["email"], ADMIN_EMAIL);
    assert_eq!(claims["iss"], server.base.as_str());

    // The session works as the bearer credential of the Management API.
    let config = ClientConfig::new(&server.base, UrlShape::Clustered)
        .unwrap()
        .with_token(session.access_token.clone());
    let admin = Client::new(config).unwrap();
    admin.list_databases(StatusFilter::Active).await.unwrap();
    assert_eq!(admin.list_users().await.unwrap()[0].email, ADMIN_EMAIL);

    // The device code is used once.
    let again = flow.poll(&authorization).await.unwrap_err();
    assert_eq!(again.oauth_error(), Some("invalid_grant"), "{again}");
    assert!(again.to_string().contains("unknown device code"), "{again}");

    // Nothing secret reached the observer; the discovery came first and carried no token.
    let seen = seen.lock().unwrap();
    assert!(seen[0].2.ends_with("/.well-known/openid-configuration"));
    for (_, _, _, event) in seen.iter() {
        assert!(!event.contains(session.access_token.expose()), "{event}");
        assert!(
            !event.contains(authorization.device_code.expose()),
            "{event}"
        );
        assert!(!event.contains("Authorization"), "{event}");
    }
    assert!(
        seen.iter()
            .any(|(_, _, _, event)| event.contains("device_code=[REDACTED]")),
        "token requests are logged with the device code redacted"
    );
}

#[tokio::test]
async fn slow_down_makes_the_polls_five_seconds_further_apart() {
    let server = Server::start();
    let (client, seen) = client(&server);
    let flow = client.device_flow(OAuth2Settings::default()).await.unwrap();
    let authorization = flow.start().await.unwrap();
    let started = Instant::now();
    let meddle = async {
        // Another poll 3 s in makes the waiting client's poll at 5 s too soon: slow_down.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let (status, body) = server.poll_token(authorization.device_code.expose()).await;
        assert_eq!(body["error"], "authorization_pending", "{status} {body}");
        // Approve after that poll, so only the next one (10 s later) gets the session.
        tokio::time::sleep(Duration::from_secs(4)).await;
        answer_as_admin(&server, &authorization.user_code, "approve").await;
    };
    let (session, ()) = tokio::join!(flow.wait(&authorization), meddle);
    session.unwrap();
    let polls = token_polls(&seen);
    assert_eq!(polls.len(), 2, "one slow_down, then the session");
    assert!(polls[0] - started >= Duration::from_secs(5));
    let gap = polls[1] - polls[0];
    assert!(
        gap >= Duration::from_secs(10) && gap < Duration::from_secs(12),
        "{gap:?}"
    );
}

#[tokio::test]
async fn deny_ends_the_flow_with_the_providers_message() {
    let server = Server::start();
    let (client, _) = client(&server);
    let flow = client.device_flow(OAuth2Settings::default()).await.unwrap();
    let authorization = flow.start().await.unwrap();
    answer_as_admin(&server, &authorization.user_code, "deny").await;
    let e = flow.wait(&authorization).await.unwrap_err();
    assert_eq!(e.oauth_error(), Some("access_denied"));
    assert_eq!(
        e.to_string(),
        format!(
            "the sign-in was refused at {}: the sign-in was denied (access_denied)",
            server.base
        )
    );
}

#[tokio::test]
async fn an_expired_code_ends_the_flow() {
    let server = Server::builder()
        .arg("--device-code-lifetime")
        .arg("1s")
        .start();
    let (client, seen) = client(&server);
    let flow = client.device_flow(OAuth2Settings::default()).await.unwrap();
    let authorization = flow.start().await.unwrap();
    assert_eq!(authorization.expires_in, Duration::from_secs(1));
    let e = flow.wait(&authorization).await.unwrap_err();
    assert_eq!(e.oauth_error(), Some("expired_token"));
    assert!(
        e.to_string()
            .contains("the sign-in expired; start it again"),
        "{e}"
    );
    assert_eq!(token_polls(&seen).len(), 1);
}

#[tokio::test]
async fn given_endpoints_skip_discovery_and_send_the_settings() {
    let server = Server::start();
    let (client, seen) = client(&server);
    let settings = OAuth2Settings {
        client_id: Some("my-client".into()),
        scopes: vec!["openid".into(), "email".into()],
        parameters: [
            ("audience".to_string(), "strata".to_string()),
            ("client_id".to_string(), "ignored".to_string()),
        ]
        .into(),
        device_url: Some(format!("{}/oauth/device/code", server.base)),
        token_url: Some(format!("{}/oauth/token", server.base)),
    };
    let flow = client.device_flow(settings).await.unwrap();
    assert_eq!(flow.endpoints().issuer, None);
    let authorization = flow.start().await.unwrap();
    server
        .submit_sign_in(
            &authorization.user_code,
            ADMIN_EMAIL,
            ADMIN_PASSWORD,
            "approve",
        )
        .await;
    let session = flow.wait(&authorization).await.unwrap();
    assert_eq!(session.scope.as_deref(), Some("openid email"));
    assert_eq!(session.unverified_claims().unwrap()["azp"], "my-client");
    {
        let seen = seen.lock().unwrap();
        assert!(
            !seen
                .iter()
                .any(|(_, _, url, _)| url.contains(".well-known")),
            "no discovery when both endpoints are given"
        );
        let start = &seen[0].3;
        assert!(
            start.contains("client_id=my-client&scope=openid email&audience=strata"),
            "{start}"
        );
        assert!(!start.contains("ignored"), "{start}");
    }

    // A device code issued to the default client cannot be redeemed by another.
    let other = Client::new(ClientConfig::new(&server.base, UrlShape::Clustered).unwrap()).unwrap();
    let theirs = other.device_flow(OAuth2Settings::default()).await.unwrap();
    let authorization = theirs.start().await.unwrap();
    let e = flow.poll(&authorization).await.unwrap_err();
    assert_eq!(e.oauth_error(), Some("invalid_grant"));
    assert!(e.to_string().contains("issued to another client"), "{e}");
}

#[tokio::test]
async fn endpoints_that_cannot_be_used() {
    let server = Server::start();
    // No discovery document under this prefix.
    let prefixed = Client::new(
        ClientConfig::new(&format!("{}/elsewhere", server.base), UrlShape::Clustered).unwrap(),
    )
    .unwrap();
    let e = prefixed
        .device_flow(OAuth2Settings::default())
        .await
        .err()
        .unwrap();
    assert!(matches!(e, Error::Config { .. }), "{e:?}");
    assert!(e.to_string().contains("answered 404"), "{e}");
    assert!(e.to_string().contains("must be given"), "{e}");
    // A given endpoint that is not a URL.
    let (client, _) = client(&server);
    let e = client
        .device_flow(OAuth2Settings {
            device_url: Some("idp/device".into()),
            ..OAuth2Settings::default()
        })
        .await
        .err()
        .unwrap();
    assert!(
        e.to_string()
            .contains("device authorization endpoint \"idp/device\""),
        "{e}"
    );
    // A given endpoint that answers 404 with the server's own error body.
    let flow = client
        .device_flow(OAuth2Settings {
            device_url: Some(format!("{}/no/such/endpoint", server.base)),
            ..OAuth2Settings::default()
        })
        .await
        .unwrap();
    let e = flow.start().await.unwrap_err();
    assert_eq!(e.status(), Some(404), "{e}");
    // An unreachable provider.
    let flow = client
        .device_flow(OAuth2Settings {
            device_url: Some("http://127.0.0.1:9/device".into()),
            token_url: Some("http://127.0.0.1:9/token".into()),
            ..OAuth2Settings::default()
        })
        .await
        .unwrap();
    let e = flow.start().await.unwrap_err();
    assert!(
        e.to_string()
            .starts_with("cannot connect to http://127.0.0.1:9"),
        "{e}"
    );
}
