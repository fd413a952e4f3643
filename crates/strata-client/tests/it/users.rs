//! `GET`, `POST`, `PATCH` and `DELETE` of users, and the server's refusals.

use strata_client::{Client, ClientConfig, InviteUser, Secret, UpdateUser, UrlShape};
use uuid::Uuid;

use crate::harness::{ADMIN_EMAIL, Server};

fn client(server: &Server) -> Client {
    let config = ClientConfig::new(&server.base, UrlShape::Clustered)
        .unwrap()
        .with_token(Secret::new(server.bootstrap_token()));
    Client::new(config).unwrap()
}

#[tokio::test]
async fn invite_get_update_remove() {
    let server = Server::start();
    let client = client(&server);
    let invited = client
        .invite_user(&InviteUser {
            email: " Ada@Example.com ".into(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            group: "member".into(),
            password: Some(Secret::new("a long enough password")),
            subject: None,
        })
        .await
        .unwrap();
    assert_eq!(invited.email, "ada@example.com");
    assert_eq!(invited.group, "Member");
    assert_eq!(client.get_user(invited.id).await.unwrap(), invited);
    // The new user can sign in with the password.
    let session = server
        .sign_in("ada@example.com", "a long enough password")
        .await;
    assert!(!session.is_empty());

    let updated = client
        .update_user(
            invited.id,
            &UpdateUser {
                last_name: Some("King".into()),
                group: Some("Admin".into()),
                ..UpdateUser::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (updated.first_name.as_str(), updated.last_name.as_str()),
        ("Ada", "King")
    );
    assert_eq!(updated.group, "Admin");

    client.remove_user(invited.id).await.unwrap();
    assert!(
        client
            .get_user(invited.id)
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        client
            .remove_user(invited.id)
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn refusals_carry_the_servers_message() {
    let server = Server::start();
    let client = client(&server);
    let invite = |email: &str, group: &str, password: Option<&str>| InviteUser {
        email: email.into(),
        first_name: "F".into(),
        last_name: "L".into(),
        group: group.into(),
        password: password.map(Secret::new),
        subject: None,
    };
    let e = client
        .invite_user(&invite("not-an-email", "Member", None))
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(400));
    assert!(e.to_string().contains("is not an email address"), "{e}");
    let e = client
        .invite_user(&invite("a@example.com", "Owner", None))
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("not one of Admin, Member or Auditor"),
        "{e}"
    );
    let e = client
        .invite_user(&invite("a@example.com", "Member", Some("short")))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("too short"), "{e}");
    client
        .invite_user(&invite("a@example.com", "Member", None))
        .await
        .unwrap();
    let e = client
        .invite_user(&invite("a@example.com", "Member", None))
        .await
        .unwrap_err();
    assert!(e.is_conflict(), "{e}");

    let admin = client
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.email == ADMIN_EMAIL)
        .unwrap();
    let e = client.remove_user(admin.id).await.unwrap_err();
    assert!(e.is_conflict());
    assert!(e.to_string().contains("is the last Admin"), "{e}");
    let e = client
        .update_user(
            admin.id,
            &UpdateUser {
                group: Some("Auditor".into()),
                ..UpdateUser::default()
            },
        )
        .await
        .unwrap_err();
    assert!(e.is_conflict(), "{e}");
    let e = client
        .update_user(admin.id, &UpdateUser::default())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("give at least one of"), "{e}");
    let e = client.get_user(Uuid::new_v4()).await.unwrap_err();
    assert!(e.is_not_found(), "{e}");
}
