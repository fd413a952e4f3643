//! How each resource is shown: influxctl's table columns and its snake_case JSON with
//! `{seconds, nanos}` times.

use serde::Serialize;
use strata_client::{
    AuditEntry, Cluster, Database, DatabaseToken, ManagementToken, PartitionTemplate, Permission,
    Table, TemplatePart, User,
};
use uuid::Uuid;

use crate::duration::format_retention;
use crate::render::{self, Align, ProtoTime, proto_time, table_time, table_time_opt};

/// One part of a partition template in snake_case.
#[derive(Serialize)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
enum TemplatePartJson<'a> {
    Time(&'a str),
    Tag(&'a str),
    Bucket {
        tag_name: &'a str,
        number_of_buckets: i32,
    },
}

/// A partition template: `[{"type": "time", "value": "%Y"}, {"type": "tag", "value":
/// "host"}, {"type": "bucket", "value": {"tag_name": "rack", "number_of_buckets": 10}}]`.
fn template_json(template: &Option<PartitionTemplate>) -> Option<Vec<TemplatePartJson<'_>>> {
    template.as_ref().map(|t| {
        t.0.iter()
            .map(|part| match part {
                TemplatePart::Time(format) => TemplatePartJson::Time(format),
                TemplatePart::Tag(tag) => TemplatePartJson::Tag(tag),
                TemplatePart::Bucket(b) => TemplatePartJson::Bucket {
                    tag_name: &b.tag_name,
                    number_of_buckets: b.number_of_buckets,
                },
            })
            .collect()
    })
}

// --- databases ---------------------------------------------------------------------------

#[derive(Serialize)]
pub struct DatabaseJson<'a> {
    account_id: Uuid,
    cluster_id: Uuid,
    id: i64,
    database_name: &'a str,
    retention_period_ns: i64,
    max_tables: i32,
    max_columns_per_table: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    partition_template: Option<Vec<TemplatePartJson<'a>>>,
    status: &'a str,
    created_at: ProtoTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted_at: Option<ProtoTime>,
}

impl<'a> From<&'a Database> for DatabaseJson<'a> {
    fn from(db: &'a Database) -> Self {
        Self {
            account_id: db.account_id,
            cluster_id: db.cluster_id,
            id: db.id,
            database_name: &db.name,
            retention_period_ns: db.retention_period,
            max_tables: db.max_tables,
            max_columns_per_table: db.max_columns_per_table,
            partition_template: template_json(&db.partition_template),
            status: db.status.as_str(),
            created_at: db.created_at.into(),
            deleted_at: proto_time(db.deleted_at),
        }
    }
}

pub fn databases_table(databases: &[Database], show_deleted: bool) -> String {
    let mut columns = vec![
        ("ID", Align::Right),
        ("DATABASE NAME", Align::Left),
        ("RETENTION PERIOD", Align::Left),
        ("MAX TABLES", Align::Right),
        ("MAX COLUMNS PER TABLE", Align::Right),
    ];
    if show_deleted {
        columns.push(("DELETED AT", Align::Left));
    }
    let mut table = render::Table::new(&columns);
    for db in databases {
        let mut row = vec![
            db.id.to_string(),
            db.name.clone(),
            format_retention(db.retention_period),
            db.max_tables.to_string(),
            db.max_columns_per_table.to_string(),
        ];
        if show_deleted {
            row.push(table_time_opt(&db.deleted_at));
        }
        table.row(row);
    }
    table.render()
}

// --- tables ------------------------------------------------------------------------------

#[derive(Serialize)]
pub struct TableJson<'a> {
    account_id: Uuid,
    cluster_id: Uuid,
    database_name: &'a str,
    id: i64,
    table_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    partition_template: Option<Vec<TemplatePartJson<'a>>>,
    status: &'a str,
    created_at: ProtoTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted_at: Option<ProtoTime>,
}

impl<'a> From<&'a Table> for TableJson<'a> {
    fn from(t: &'a Table) -> Self {
        Self {
            account_id: t.account_id,
            cluster_id: t.cluster_id,
            database_name: &t.database_name,
            id: t.id,
            table_name: &t.name,
            partition_template: template_json(&t.partition_template),
            status: t.status.as_str(),
            created_at: t.created_at.into(),
            deleted_at: proto_time(t.deleted_at),
        }
    }
}

pub fn tables_table(tables: &[Table], show_deleted: bool) -> String {
    let mut columns = vec![("ID", Align::Right), ("TABLE NAME", Align::Left)];
    if show_deleted {
        columns.push(("DELETED AT", Align::Left));
    }
    let mut out = render::Table::new(&columns);
    for t in tables {
        let mut row = vec![t.id.to_string(), t.name.clone()];
        if show_deleted {
            row.push(table_time_opt(&t.deleted_at));
        }
        out.row(row);
    }
    out.render()
}

// --- database tokens ---------------------------------------------------------------------

#[derive(Serialize)]
struct PermissionJson<'a> {
    action: &'a str,
    resource: &'a str,
}

#[derive(Serialize)]
pub struct DatabaseTokenJson<'a> {
    account_id: Uuid,
    cluster_id: Uuid,
    id: Uuid,
    description: &'a str,
    permissions: Vec<PermissionJson<'a>>,
    token_prefix: &'a str,
    created_at: ProtoTime,
    created_by: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<ProtoTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    revoked_at: Option<ProtoTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_used_at: Option<ProtoTime>,
}

impl<'a> From<&'a DatabaseToken> for DatabaseTokenJson<'a> {
    fn from(t: &'a DatabaseToken) -> Self {
        let m = &t.token;
        Self {
            account_id: m.account_id,
            cluster_id: m.cluster_id,
            id: m.id,
            description: &m.description,
            permissions: t
                .permissions
                .iter()
                .map(|p| PermissionJson {
                    action: p.action.as_str(),
                    resource: &p.resource,
                })
                .collect(),
            token_prefix: &m.token_prefix,
            created_at: m.created_at.into(),
            created_by: &m.created_by,
            expires_at: proto_time(m.expires_at),
            revoked_at: proto_time(m.revoked_at),
            last_used_at: proto_time(m.last_used_at),
        }
    }
}

/// A creation answer: the object and its secret, under `token`.
#[derive(Serialize)]
pub struct WithSecret<'a, T: Serialize> {
    #[serde(flatten)]
    pub object: T,
    pub token: &'a str,
}

pub fn tokens_table(tokens: &[DatabaseToken]) -> String {
    let mut table = render::Table::new(&[("ID", Align::Left), ("DESCRIPTION", Align::Left)]);
    for t in tokens {
        table.row(vec![t.token.id.to_string(), t.token.description.clone()]);
    }
    table.render()
}

pub fn permissions_text(permissions: &[Permission]) -> String {
    permissions
        .iter()
        .map(|p| format!("{}:{}", p.action.as_str(), p.resource))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The detail table printed after `token create` and `management create`.
pub fn created_detail(m: &ManagementToken) -> String {
    render::detail(&[
        ("id", m.id.to_string()),
        ("description", m.description.clone()),
        ("expires at", table_time_opt(&m.expires_at)),
        ("revoked at", table_time_opt(&m.revoked_at)),
    ])
}

/// `token get` and `token update`.
pub fn token_detail(t: &DatabaseToken) -> String {
    let m = &t.token;
    render::detail(&[
        ("id", m.id.to_string()),
        ("description", m.description.clone()),
        ("permissions", permissions_text(&t.permissions)),
        ("created at", table_time(&m.created_at)),
        ("expires at", table_time_opt(&m.expires_at)),
        ("revoked at", table_time_opt(&m.revoked_at)),
    ])
}

// --- management tokens -------------------------------------------------------------------

#[derive(Serialize)]
pub struct ManagementTokenJson<'a> {
    id: Uuid,
    account_id: Uuid,
    token_prefix: &'a str,
    created_at: ProtoTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<ProtoTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    revoked_at: Option<ProtoTime>,
    description: &'a str,
    created_by: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_used_at: Option<ProtoTime>,
}

impl<'a> From<&'a ManagementToken> for ManagementTokenJson<'a> {
    fn from(m: &'a ManagementToken) -> Self {
        Self {
            id: m.id,
            account_id: m.account_id,
            token_prefix: &m.token_prefix,
            created_at: m.created_at.into(),
            expires_at: proto_time(m.expires_at),
            revoked_at: proto_time(m.revoked_at),
            description: &m.description,
            created_by: &m.created_by,
            last_used_at: proto_time(m.last_used_at),
        }
    }
}

pub fn management_table(tokens: &[ManagementToken]) -> String {
    let mut table = render::Table::new(&[
        ("ID", Align::Left),
        ("DESCRIPTION", Align::Left),
        ("PREFIX", Align::Left),
        ("CREATED AT", Align::Left),
        ("EXPIRES AT", Align::Left),
        ("REVOKED AT", Align::Left),
    ]);
    for m in tokens {
        table.row(vec![
            m.id.to_string(),
            m.description.clone(),
            m.token_prefix.clone(),
            table_time(&m.created_at),
            table_time_opt(&m.expires_at),
            table_time_opt(&m.revoked_at),
        ]);
    }
    table.render()
}

// --- clusters ----------------------------------------------------------------------------

#[derive(Serialize)]
pub struct ClusterJson<'a> {
    account_id: Uuid,
    cluster_id: Uuid,
    name: &'a str,
    url: &'a str,
    state: &'a str,
    created_at: ProtoTime,
    category: i32,
}

impl<'a> From<&'a Cluster> for ClusterJson<'a> {
    fn from(c: &'a Cluster) -> Self {
        Self {
            account_id: c.account_id,
            cluster_id: c.id,
            name: &c.name,
            url: &c.url,
            state: &c.state,
            created_at: c.created_at.into(),
            category: c.category,
        }
    }
}

pub fn cluster_detail(c: &Cluster) -> String {
    render::detail(&[
        ("id", c.id.to_string()),
        ("name", c.name.clone()),
        ("state", c.state.clone()),
        ("url", c.url.clone()),
    ])
}

pub fn clusters_table(clusters: &[Cluster]) -> String {
    let mut table = render::Table::new(&[
        ("ID", Align::Left),
        ("NAME", Align::Left),
        ("STATE", Align::Left),
        ("URL", Align::Left),
    ]);
    for c in clusters {
        table.row(vec![
            c.id.to_string(),
            c.name.clone(),
            c.state.clone(),
            c.url.clone(),
        ]);
    }
    table.render()
}

// --- users -------------------------------------------------------------------------------

#[derive(Serialize)]
pub struct UserJson<'a> {
    id: Uuid,
    account_id: Uuid,
    email: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    group: &'a str,
    status: &'a str,
    created_at: ProtoTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated_at: Option<ProtoTime>,
}

impl<'a> From<&'a User> for UserJson<'a> {
    fn from(u: &'a User) -> Self {
        Self {
            id: u.id,
            account_id: u.account_id,
            email: &u.email,
            first_name: &u.first_name,
            last_name: &u.last_name,
            group: &u.group,
            status: &u.status,
            created_at: u.created_at.into(),
            updated_at: proto_time(u.updated_at),
        }
    }
}

pub fn users_table(users: &[User]) -> String {
    let mut table = render::Table::new(&[
        ("ID", Align::Left),
        ("FIRST NAME", Align::Left),
        ("LAST NAME", Align::Left),
        ("EMAIL", Align::Left),
        ("GROUP", Align::Left),
        ("STATUS", Align::Left),
    ]);
    for u in users {
        table.row(vec![
            u.id.to_string(),
            u.first_name.clone(),
            u.last_name.clone(),
            u.email.clone(),
            u.group.clone(),
            u.status.clone(),
        ]);
    }
    table.render()
}

// --- audit log ---------------------------------------------------------------------------

#[derive(Serialize)]
pub struct AuditJson<'a> {
    id: i64,
    time: ProtoTime,
    actor_kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    actor_id: Option<Uuid>,
    action: &'a str,
    target: &'a str,
    source_address: &'a str,
    outcome: &'a str,
    detail: &'a str,
}

impl<'a> From<&'a AuditEntry> for AuditJson<'a> {
    fn from(e: &'a AuditEntry) -> Self {
        Self {
            id: e.id,
            time: e.time.into(),
            actor_kind: &e.actor_kind,
            actor_id: e.actor_id,
            action: &e.action,
            target: &e.target,
            source_address: &e.source_address,
            outcome: &e.outcome,
            detail: &e.detail,
        }
    }
}

pub fn audit_table(entries: &[AuditEntry]) -> String {
    let mut table = render::Table::new(&[
        ("ID", Align::Right),
        ("TIME", Align::Left),
        ("ACTOR", Align::Left),
        ("ACTION", Align::Left),
        ("TARGET", Align::Left),
        ("SOURCE", Align::Left),
        ("OUTCOME", Align::Left),
        ("DETAIL", Align::Left),
    ]);
    for e in entries {
        let actor = match e.actor_id {
            Some(id) => format!("{}:{id}", e.actor_kind),
            None => e.actor_kind.clone(),
        };
        table.row(vec![
            e.id.to_string(),
            table_time(&e.time),
            actor,
            e.action.clone(),
            e.target.clone(),
            e.source_address.clone(),
            e.outcome.clone(),
            e.detail.clone(),
        ]);
    }
    table.render()
}
