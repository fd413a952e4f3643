#!/usr/bin/env python3
"""Writes the OpenAPI document the server embeds: python3 scripts/openapi.py > crates/strata-server/src/openapi.json

Edit this, not the JSON, when routes change; the strata-server tests check the two agree."""
import json
import sys

CLUSTERED = "/api/v0"
DEDICATED = "/api/v0/accounts/{accountId}/clusters/{clusterId}"


def ref(kind, name):
    return {"$ref": f"#/components/{kind}/{name}"}


def schema(name):
    return ref("schemas", name)


def param(name):
    return ref("parameters", name)


def resp(name):
    return ref("responses", name)


BEARER = [{"bearerAuth": []}]

ROLE = {
    "read": "Allowed to: management tokens and users of every group (Admin, Member, Auditor).",
    "manageDatabases": "Allowed to: management tokens and Admin users.",
    "manageDatabaseTokens": "Allowed to: management tokens and Admin or Member users.",
    "createManagementTokens": "Allowed to: management tokens and Admin users.",
    "listManagementTokens": "Allowed to: management tokens and Admin or Auditor users.",
    "revokeManagementTokens": "Allowed to: management tokens and Admin users.",
    "readAuditLog": "Allowed to: management tokens and Admin or Auditor users.",
    "manageUsers": "Allowed to: management tokens and Admin users. Creating or promoting an Admin, "
    "or setting a password, needs an Admin user's session or a management token that does not expire.",
}
DB_TOKEN_NOTE = " Database tokens are always refused (403)."


def ok_json(description, sch):
    r = {"description": description, "content": {"application/json": {"schema": sch}}}
    if sch.get("$ref", "").startswith("#/components/schemas/Created"):
        # Responses that carry a secret must not be cached anywhere.
        r["headers"] = {"Cache-Control": {"schema": {"type": "string", "enum": ["no-store"]}}}
    return r


def array_of(name):
    return {"type": "array", "items": schema(name)}


def body(name, description=None):
    b = {"required": True, "content": {"application/json": {"schema": schema(name)}}}
    if description:
        b["description"] = description
    return b


def op(op_id, tag, summary, description, role, responses, errors, request_body=None, parameters=None):
    o = {
        "operationId": op_id,
        "tags": [tag],
        "summary": summary,
        "description": (description + "\n\n" if description else "") + ROLE[role] + DB_TOKEN_NOTE,
    }
    if parameters:
        o["parameters"] = parameters
    if request_body:
        o["requestBody"] = request_body
    r = dict(responses)
    if request_body:
        r["413"] = resp("PayloadTooLarge")
    for code in errors:
        r[code] = resp(
            {
                "400": "BadRequest",
                "400q": "BadRequestQuery",
                "401": "Unauthorized",
                "403": "Forbidden",
                "404": "NotFound",
                "409": "Conflict",
                "500": "InternalError",
            }[code]
        )
    o["responses"] = {k.rstrip("q"): v for k, v in r.items()}
    o["security"] = BEARER
    return o


# ---------------------------------------------------------------------------
# Management API operations, relative to a prefix. Each entry: relative path,
# path-level parameters (beyond the prefix's), {method: operation builder}.

UNDELETE_DB_ID = {
    "name": "databaseName",
    "in": "path",
    "required": True,
    "description": "Despite its name, the numeric **id** of the deleted database (as listed with "
    "`status=deleted`), not its name: a deleted database's name may be reused. "
    "Anything but a positive integer is refused with 400.",
    "schema": {"type": "integer", "format": "int64", "minimum": 1},
    "example": 42,
}
UNDELETE_TABLE_ID = {
    "name": "tableName",
    "in": "path",
    "required": True,
    "description": "Despite its name, the numeric **id** of the deleted table (as listed with "
    "`status=deleted`), not its name. Anything but a positive integer is refused with 400.",
    "schema": {"type": "integer", "format": "int64", "minimum": 1},
    "example": 7,
}


def management(sfx):
    """The Management API paths relative to a prefix; sfx makes operationIds unique."""
    # On dedicated paths every operation can also answer 404 (wrong account or cluster),
    # checked after authentication.
    extra = ["404"] if sfx else []

    def errs(*codes):
        return sorted(set(codes) | set(extra), key=lambda c: c.rstrip("q"))

    return [
        (
            "/databases",
            [],
            {
                "get": op(
                    "listDatabases" + sfx,
                    "Databases",
                    "List databases",
                    "Lists databases, oldest first. By default only active ones; "
                    "`status=deleted` lists soft-deleted databases (with `deletedAt`), whose `id` "
                    "undelete takes.",
                    "read",
                    {"200": ok_json("The databases.", array_of("Database"))},
                    errs("400", "401", "403", "500"),
                    parameters=[param("status")],
                ),
                "post": op(
                    "createDatabase" + sfx,
                    "Databases",
                    "Create a database",
                    "Creates a database. Limits given as 0 or left out take the defaults "
                    "(500 tables, 250 columns per table); `retentionPeriod` 0 or left out means "
                    "infinite retention.",
                    "manageDatabases",
                    {"200": ok_json("The created database.", schema("Database"))},
                    errs("400", "401", "403", "409", "500"),
                    request_body=body("CreateDatabaseRequest"),
                ),
            },
        ),
        (
            "/databases/{databaseName}",
            [param("databaseName")],
            {
                "patch": op(
                    "updateDatabase" + sfx,
                    "Databases",
                    "Update a database",
                    "Changes an active database's limits and/or retention period; give at least "
                    "one of them. Limits given as 0 take the defaults.",
                    "manageDatabases",
                    {"200": ok_json("The updated database.", schema("Database"))},
                    errs("400", "401", "403", "404", "500"),
                    request_body=body("UpdateDatabaseRequest"),
                ),
                "delete": op(
                    "deleteDatabase" + sfx,
                    "Databases",
                    "Delete a database",
                    "Soft-deletes an active database: it is listed with `status=deleted` and can "
                    "be undeleted by id within the server's undelete window.",
                    "manageDatabases",
                    {"204": {"description": "Deleted."}},
                    errs("401", "403", "404", "500"),
                ),
            },
        ),
        (
            "/databases/{databaseName}/rename",
            [param("databaseName")],
            {
                "put": op(
                    "renameDatabase" + sfx,
                    "Databases",
                    "Rename a database",
                    "Renames an active database. Renaming to its own name changes nothing.",
                    "manageDatabases",
                    {"200": ok_json("The renamed database.", schema("Database"))},
                    errs("400", "401", "403", "404", "409", "500"),
                    request_body=body("RenameRequest"),
                ),
            },
        ),
        (
            "/databases/{databaseName}/undelete",
            [UNDELETE_DB_ID],
            {
                "put": op(
                    "undeleteDatabase" + sfx,
                    "Databases",
                    "Undelete a database by id",
                    "Restores a soft-deleted database, identified by its numeric id, within the "
                    "undelete window. 404 when no database has the id or the window has passed; "
                    "409 when it is not deleted or an active database has its name.",
                    "manageDatabases",
                    {"200": ok_json("The restored database.", schema("Database"))},
                    errs("400", "401", "403", "404", "409", "500"),
                ),
            },
        ),
        (
            "/databases/{databaseName}/tables",
            [param("databaseName")],
            {
                "get": op(
                    "listTables" + sfx,
                    "Tables",
                    "List tables",
                    "Lists the tables of an active database. By default only active ones; "
                    "`status=deleted` lists soft-deleted tables, whose `id` undelete takes.",
                    "read",
                    {"200": ok_json("The tables.", array_of("Table"))},
                    errs("400", "401", "403", "404", "500"),
                    parameters=[param("status")],
                ),
                "post": op(
                    "createTable" + sfx,
                    "Tables",
                    "Create a table",
                    "Creates a table in an active database. A table without its own partition "
                    "template inherits the database's. 400 also when the database already has "
                    "its maximum number of tables.",
                    "manageDatabases",
                    {"200": ok_json("The created table.", schema("Table"))},
                    errs("400", "401", "403", "404", "409", "500"),
                    request_body=body("CreateTableRequest"),
                ),
            },
        ),
        (
            "/databases/{databaseName}/tables/{tableName}",
            [param("databaseName"), param("tableName")],
            {
                "delete": op(
                    "deleteTable" + sfx,
                    "Tables",
                    "Delete a table",
                    "Soft-deletes an active table; it can be undeleted by id within the server's "
                    "undelete window.",
                    "manageDatabases",
                    {"204": {"description": "Deleted."}},
                    errs("401", "403", "404", "500"),
                ),
            },
        ),
        (
            "/databases/{databaseName}/tables/{tableName}/rename",
            [param("databaseName"), param("tableName")],
            {
                "put": op(
                    "renameTable" + sfx,
                    "Tables",
                    "Rename a table",
                    "Renames an active table of an active database.",
                    "manageDatabases",
                    {"200": ok_json("The renamed table.", schema("Table"))},
                    errs("400", "401", "403", "404", "409", "500"),
                    request_body=body("RenameRequest"),
                ),
            },
        ),
        (
            "/databases/{databaseName}/tables/{tableName}/undelete",
            [param("databaseName"), UNDELETE_TABLE_ID],
            {
                "put": op(
                    "undeleteTable" + sfx,
                    "Tables",
                    "Undelete a table by id",
                    "Restores a soft-deleted table of an active database, identified by its "
                    "numeric id, within the undelete window. 404 when the database has no table "
                    "with the id or the window has passed; 409 when it is not deleted or an "
                    "active table has its name; 400 also when the database is at its table limit.",
                    "manageDatabases",
                    {"200": ok_json("The restored table.", schema("Table"))},
                    errs("400", "401", "403", "404", "409", "500"),
                ),
            },
        ),
        (
            "/tokens",
            [],
            {
                "get": op(
                    "listDatabaseTokens" + sfx,
                    "Database tokens",
                    "List database tokens",
                    "Lists database tokens, oldest first; revoked ones only with "
                    "`includeRevoked=true`. Secrets are never returned, only `tokenPrefix`.",
                    "read",
                    {"200": ok_json("The database tokens.", array_of("DatabaseToken"))},
                    errs("400q", "401", "403", "500"),
                    parameters=[param("includeRevoked")],
                ),
                "post": op(
                    "createDatabaseToken" + sfx,
                    "Database tokens",
                    "Create a database token",
                    "Creates a database token. The response carries the secret in `accessToken`; "
                    "it is shown this once and never again. Every permission must name an "
                    "existing database or `*` (400 otherwise), and is bound to that database: a "
                    "rename keeps it, a new database with a deleted one's name does not get it. "
                    "A token created with a credential that expires (a management token with an "
                    "expiry, or a user session) cannot outlive it: it inherits that expiry when "
                    "none is given, and a later `expiresAt` is refused with 400.",
                    "manageDatabaseTokens",
                    {
                        "200": ok_json(
                            "The created token, with its secret.", schema("CreatedDatabaseToken")
                        )
                    },
                    errs("400", "401", "403", "500"),
                    request_body=body("CreateDatabaseTokenRequest"),
                ),
            },
        ),
        (
            "/tokens/{tokenId}",
            [param("tokenId")],
            {
                "get": op(
                    "getDatabaseToken" + sfx,
                    "Database tokens",
                    "Get a database token",
                    "Revoked tokens too, with `revokedAt`.",
                    "read",
                    {"200": ok_json("The database token.", schema("DatabaseToken"))},
                    errs("400q", "401", "403", "404", "500"),
                ),
                "patch": op(
                    "updateDatabaseToken" + sfx,
                    "Database tokens",
                    "Update a database token",
                    "Changes the description and/or replaces the whole permission set of a token "
                    "that is not revoked (404 if it is).",
                    "manageDatabaseTokens",
                    {"200": ok_json("The updated database token.", schema("DatabaseToken"))},
                    errs("400", "401", "403", "404", "500"),
                    request_body=body("UpdateDatabaseTokenRequest"),
                ),
                "delete": op(
                    "revokeDatabaseToken" + sfx,
                    "Database tokens",
                    "Revoke a database token",
                    "Revokes the token at once. 404 when there is no such token or it was "
                    "already revoked.",
                    "manageDatabaseTokens",
                    {"204": {"description": "Revoked."}},
                    errs("400", "401", "403", "404", "500"),
                ),
            },
        ),
        (
            "/managementTokens",
            [],
            {
                "get": op(
                    "listManagementTokens" + sfx,
                    "Management tokens",
                    "List management tokens",
                    "Lists every management token, oldest first, revoked ones included "
                    "(with `revokedAt`). Secrets are never returned, only `tokenPrefix`.",
                    "listManagementTokens",
                    {"200": ok_json("The management tokens.", array_of("ManagementToken"))},
                    errs("401", "403", "500"),
                ),
                "post": op(
                    "createManagementToken" + sfx,
                    "Management tokens",
                    "Create a management token",
                    "Creates a management token. The response carries the secret in "
                    "`accessToken`; it is shown this once and never again. A token created with a "
                    "credential that expires (a management token with an expiry, or a user "
                    "session) cannot outlive it: it inherits that expiry when none is given, and "
                    "a later `expiresAt` is refused with 400.",
                    "createManagementTokens",
                    {
                        "200": ok_json(
                            "The created token, with its secret.",
                            schema("CreatedManagementToken"),
                        )
                    },
                    errs("400", "401", "403", "500"),
                    request_body=body("CreateManagementTokenRequest"),
                ),
            },
        ),
        (
            "/managementTokens/{tokenId}",
            [param("tokenId")],
            {
                "get": op(
                    "getManagementToken" + sfx,
                    "Management tokens",
                    "Get a management token",
                    "Revoked tokens are returned too (with `revokedAt`).",
                    "listManagementTokens",
                    {"200": ok_json("The management token.", schema("ManagementToken"))},
                    errs("400", "401", "403", "404", "500"),
                ),
                "delete": op(
                    "revokeManagementToken" + sfx,
                    "Management tokens",
                    "Revoke a management token",
                    "Revokes the token at once. 404 when there is no such token or it was "
                    "already revoked.",
                    "revokeManagementTokens",
                    {"204": {"description": "Revoked."}},
                    errs("400", "401", "403", "404", "500"),
                ),
            },
        ),
        (
            "/users",
            [],
            {
                "get": op(
                    "listUsers" + sfx,
                    "Users",
                    "List users",
                    "Lists the account's users, ordered by email.",
                    "read",
                    {"200": ok_json("The users.", array_of("User"))},
                    errs("401", "403", "500"),
                ),
                "post": op(
                    "inviteUser" + sfx,
                    "Users",
                    "Invite (create) a user",
                    "Creates a user. The email is trimmed and lower-cased; 409 if a user has it. "
                    "`password` (write-only, 12 characters at least) lets the user sign in with the "
                    "built-in identity provider.",
                    "manageUsers",
                    {"200": ok_json("The new user.", schema("User"))},
                    errs("400", "401", "403", "409", "500"),
                    request_body=body("InviteUserRequest"),
                ),
            },
        ),
        (
            "/users/{userId}",
            [param("userId")],
            {
                "get": op(
                    "getUser" + sfx,
                    "Users",
                    "Get a user",
                    "",
                    "read",
                    {"200": ok_json("The user.", schema("User"))},
                    errs("400", "401", "403", "404", "500"),
                ),
                "patch": op(
                    "updateUser" + sfx,
                    "Users",
                    "Update a user",
                    "Changes names, group and/or password. A group change takes effect on the "
                    "user's next request. Demoting the last Admin is refused with 409.",
                    "manageUsers",
                    {"200": ok_json("The updated user.", schema("User"))},
                    errs("400", "401", "403", "404", "409", "500"),
                    request_body=body("UpdateUserRequest"),
                ),
                "delete": op(
                    "removeUser" + sfx,
                    "Users",
                    "Remove a user",
                    "Deletes the user; their sessions stop working at once. Removing the last "
                    "Admin is refused with 409.",
                    "manageUsers",
                    {"204": {"description": "Removed."}},
                    errs("400", "401", "403", "404", "409", "500"),
                ),
            },
        ),
        (
            "/auditLog",
            [],
            {
                "get": op(
                    "listAuditLog" + sfx,
                    "Audit log",
                    "List audit log entries",
                    "Lists audit log entries newest first, at most `limit` of them. To page, pass "
                    "`before` = the `id` of the last entry seen. Unknown query parameters are "
                    "refused with 400.",
                    "readAuditLog",
                    {"200": ok_json("The audit log entries.", array_of("AuditEntry"))},
                    errs("400", "401", "403", "500"),
                    parameters=[
                        param("auditActor"),
                        param("auditAction"),
                        param("auditSince"),
                        param("auditUntil"),
                        param("auditBefore"),
                        param("auditLimit"),
                    ],
                ),
            },
        ),
    ]


def public_get(op_id, summary, description, responses):
    return {
        "operationId": op_id,
        "tags": ["Service"],
        "summary": summary,
        "description": description,
        "responses": responses,
        "security": [],
    }


PING_RESPONSE = {
    "204": {
        "description": "The server is up.",
        "headers": {
            "X-Influxdb-Build": {
                "description": "Always `Strata`.",
                "schema": {"type": "string", "enum": ["Strata"]},
            },
            "X-Influxdb-Version": {
                "description": "The server's version.",
                "schema": {"type": "string"},
            },
        },
    }
}


def cluster_ops(sfx, dedicated):
    nf = ["404"] if dedicated else []
    list_op = op(
        "listClusters" + sfx,
        "Clusters",
        "List clusters",
        "Lists the clusters of the account: the one cluster this server serves.",
        "read",
        {"200": ok_json("The clusters.", array_of("Cluster"))},
        ["401", "403"] + nf + ["500"],
    )
    get_op = op(
        "getCluster" + sfx,
        "Clusters",
        "Get a cluster",
        "Gets a cluster by id; 404 when it is not the cluster this server serves.",
        "read",
        {"200": ok_json("The cluster.", schema("Cluster"))},
        ["401", "403", "404", "500"],
    )
    return list_op, get_op


WRITE_BODY = {
    "required": True,
    "description": "Line protocol, optionally gzip-compressed (`Content-Encoding: gzip`). Lines "
    "without a timestamp get the server's time.",
    "content": {"text/plain": {"schema": {"type": "string"}}},
}

PRECISION = {
    "name": "precision",
    "in": "query",
    "description": "Unit of the timestamps: `ns` (default), `us`, `ms` or `s`.",
    "schema": {"type": "string", "enum": ["ns", "us", "ms", "s"], "default": "ns"},
}


def write_op(op_id, summary, description, parameters, shape):
    """A write endpoint; shape is `influx` ({code, line, message}) or `v3` ({error, data})."""
    error = schema("WriteError" if shape == "influx" else "WriteErrorV3")

    def err(text):
        return ok_json(text, error)

    return {
        "operationId": op_id,
        "tags": ["Write"],
        "summary": summary,
        "description": description
        + "\n\nNeeds a database token with `write` permission on the database (or `*`); "
        "management tokens and user sessions are refused (403). A write is acknowledged only "
        "once it is durable (WAL fsync'd) and it is queryable at once.",
        "parameters": parameters,
        "requestBody": WRITE_BODY,
        "responses": {
            "204": {"description": "Every line was written."},
            "400": err("Lines were rejected (bad syntax or a schema conflict), or a parameter is "
                       "wrong; up to 100 rejected lines are listed."),
            "401": err("No token, or one that is invalid, expired or revoked."),
            "403": err("The token may not write this database, or is not a database token."),
            "404": err("The database does not exist."),
            "413": err("The body (compressed or decompressed) is larger than the server accepts."),
            "422": err("Every rejected line was outside the database's retention period."),
            "503": {
                **err("The write buffer stayed full for `--write-wait` (persistence is behind), "
                      "the WAL cannot be written, or the server is shutting down; retry after "
                      "`Retry-After` seconds."),
                "headers": {"Retry-After": {
                    "description": "Seconds to wait before retrying.",
                    "schema": {"type": "integer"},
                }},
            },
        },
        "security": BEARER,
    }


def write_paths(p):
    db = lambda name, text: {"name": name, "in": "query", "required": True, "description": text,
                             "schema": {"type": "string"}}
    p["/api/v2/write"] = {"post": write_op(
        "writeV2", "Write line protocol (v2)",
        "The InfluxDB v2 write API. Lines are written all or nothing.",
        [db("bucket", "The database."),
         {"name": "org", "in": "query", "description": "Ignored.", "schema": {"type": "string"}},
         {"name": "orgID", "in": "query", "description": "Ignored.", "schema": {"type": "string"}},
         PRECISION],
        "influx")}
    p["/write"] = {"post": write_op(
        "writeV1", "Write line protocol (v1)",
        "The InfluxDB 1.x write API. Lines are written all or nothing. The token may also come "
        "as the password of Basic authentication or in `p=`.",
        [db("db", "The database."),
         {"name": "rp", "in": "query", "description": "A retention policy: the database "
          "written is `db/rp` (empty or `autogen` means `db`).", "schema": {"type": "string"}},
         {"name": "u", "in": "query", "description": "Ignored.", "schema": {"type": "string"}},
         {"name": "p", "in": "query", "description": "The token, when not in `Authorization`.",
          "schema": {"type": "string"}},
         PRECISION],
        "influx")}
    p["/api/v3/write_lp"] = {"post": write_op(
        "writeV3", "Write line protocol (v3)",
        "The InfluxDB 3 write API. With `accept_partial=true` (the default) valid lines are "
        "written even when others are rejected.",
        [db("db", "The database."), PRECISION,
         {"name": "accept_partial", "in": "query", "description": "Write the valid lines when "
          "some are rejected.", "schema": {"type": "boolean", "default": True}}],
        "v3")}


SQL_DESCRIPTION = (
    "Runs DataFusion SQL over the database's tables (one per measurement, in "
    "schema `iox`; `information_schema` too). ")
INFLUXQL_DESCRIPTION = (
    "Runs one InfluxQL statement (SELECT or SHOW) over the database's measurements. The "
    "result is one table: `iox::measurement`, `time`, the GROUP BY tags, then the selected "
    "values. `params` binds `$name` parameters. ")


def query_op(op_id, method, language):
    def err(text):
        return ok_json(text, schema("QueryError"))

    sql = language == "sql"
    params = [
        {"name": "db", "in": "query", "description": "The database" + (
            "." if sql else " (not needed for SHOW DATABASES)."), "schema": {"type": "string"}},
        {"name": "q", "in": "query", "description": "The SQL query." if sql else
         "The InfluxQL statement.", "schema": {"type": "string"}},
        {"name": "format", "in": "query", "description": "The result format.",
         "schema": {"type": "string", "enum": ["json", "jsonl", "csv", "pretty", "parquet"],
                    "default": "json"}},
    ]
    if not sql:
        params.append({"name": "params", "in": "query", "description": "Bind parameters, a JSON "
                       "object of names and values.", "schema": {"type": "string"}})
    o = {
        "operationId": op_id,
        "tags": ["Query"],
        "summary": ("Query with SQL" if sql else "Query with InfluxQL")
        + (" (POST)" if method == "post" else ""),
        "description": (SQL_DESCRIPTION if sql else INFLUXQL_DESCRIPTION)
        + "Each table unions the rows written to this "
        "node and not yet persisted with the table's Parquet files; rows older than the "
        "database's retention period are never returned. Needs a database token with `read` "
        "permission on the database (or `*`); management tokens and user sessions are refused "
        "(403). A query longer than `--query-timeout` or needing more than "
        "`--query-memory-limit` is refused with 400.",
        "parameters": params,
        "responses": {
            "200": {"description": "The result.", "content": {
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                "application/jsonl": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
                "text/plain; charset=utf-8": {"schema": {"type": "string"}},
                "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
            }},
            "400": err("The query or a parameter is wrong, too slow or too large."),
            "401": err("No token, or one that is invalid, expired or revoked."),
            "403": err("The token may not read this database, or is not a database token."),
            "404": err("The database does not exist."),
            "500": err("Something broke inside the server."),
        },
        "security": BEARER,
    }
    if method == "post":
        o["requestBody"] = {
            "required": False,
            "description": "The parameters as JSON (they may also be in the query string).",
            "content": {"application/json": {"schema": schema("QueryRequest")}},
        }
    return o


def v1_query_op(op_id, method):
    def err(text):
        return ok_json(text, schema("QueryError"))

    def param(name, text):
        return {"name": name, "in": "query", "description": text, "schema": {"type": "string"}}

    o = {
        "operationId": op_id,
        "tags": ["Query"],
        "summary": "Query with InfluxQL (v1)" + (" (POST)" if method == "post" else ""),
        "description": "The InfluxDB 1.x query API. Statements are separated by `;`; each "
        "statement's series or error is in its place in `results`, so the answer is 200 when "
        "the query parses. `Accept: application/csv` answers in 1.x CSV. The token may also "
        "come as the password of Basic authentication or in `p=`; it needs `read` on the "
        "database.",
        "parameters": [
            param("db", "The database (not needed for SHOW DATABASES)."),
            param("rp", "A retention policy: the database read is `db/rp` (empty or `autogen` "
                  "means `db`)."),
            param("q", "The InfluxQL statements."),
            param("epoch", "Times as integers in this unit (ns, u, µ, ms, s, m, h) instead of "
                  "RFC 3339 strings."),
            param("chunked", "`true`: the answer in chunks, one JSON document per line."),
            param("chunk_size", "Rows per chunk (default 10000)."),
            param("pretty", "`true`: indented JSON."),
            param("params", "Bind parameters, a JSON object of names and values."),
            param("u", "Ignored."),
            param("p", "The token, when not in `Authorization`."),
        ],
        "responses": {
            "200": {"description": "The results.", "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/csv": {"schema": {"type": "string"}},
            }},
            "400": err("A parameter is wrong or the query does not parse."),
            "401": err("No token, or one that is invalid, expired or revoked."),
            "403": err("The token may not read this database, or is not a database token."),
        },
        "security": BEARER,
    }
    if method == "post":
        o["requestBody"] = {
            "required": False,
            "description": "The parameters as a form (they may also be in the query string).",
            "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}},
        }
    return o


def query_paths(p):
    p["/api/v3/query_sql"] = {"get": query_op("querySql", "get", "sql"),
                              "post": query_op("querySqlPost", "post", "sql")}
    p["/api/v3/query_influxql"] = {"get": query_op("queryInfluxql", "get", "influxql"),
                                   "post": query_op("queryInfluxqlPost", "post", "influxql")}
    p["/query"] = {"get": v1_query_op("queryV1", "get"), "post": v1_query_op("queryV1Post", "post")}


def paths():
    p = {}
    query_paths(p)
    write_paths(p)
    p["/health"] = {
        "get": public_get(
            "health",
            "Health check",
            "Always answers 200 while the process serves HTTP. No credentials needed.",
            {"200": ok_json("The server is healthy.", schema("Health"))},
        )
    }
    p["/ping"] = {
        "get": public_get(
            "ping",
            "Ping",
            "Answers 204 with the version headers InfluxDB clients look for. No credentials "
            "needed.",
            PING_RESPONSE,
        ),
        "head": public_get(
            "pingHead",
            "Ping (HEAD)",
            "Same as `GET /ping`.",
            PING_RESPONSE,
        ),
    }
    p["/metrics"] = {
        "get": public_get(
            "metrics",
            "Prometheus metrics",
            "Metrics in the Prometheus text exposition format: requests by route, method and "
            "status, their latencies, and token checks by outcome. No credentials needed.",
            {
                "200": {
                    "description": "The metrics.",
                    "content": {"text/plain; version=0.0.4": {"schema": {"type": "string"}}},
                }
            },
        )
    }
    p["/api/v0/openapi.json"] = {
        "get": public_get(
            "openapi",
            "This OpenAPI document",
            "The OpenAPI 3.0.3 document describing every route the server serves. No "
            "credentials needed.",
            {
                "200": {
                    "description": "The OpenAPI document.",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        )
    }

    idp_public = {"tags": ["Identity provider"], "security": []}
    oauth_error = {
        "description": "An OAuth2 error (RFC 6749 §5.2, RFC 8628 §3.5).",
        "content": {"application/json": {"schema": schema("OAuthError")}},
    }
    throttled = error_response(
        "Too many requests from the caller's address (an IPv6 address counts by its /64); "
        "`Retry-After` says when to try again. Checked before the request is read."
    )
    public_too_large = error_response("The request body is larger than 4 KiB.")
    external = error_response(
        "The server verifies sessions from an external OIDC provider (`--oidc-issuer`); its own "
        "sign-in endpoints are off. The message names the provider."
    )
    html = lambda description: {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}
    form = lambda props, required: {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "required": required, "properties": {k: {"type": "string"} for k in props}}
            }
        },
    }
    p["/.well-known/openid-configuration"] = {
        "get": dict(idp_public, operationId="openidConfiguration", summary="OIDC discovery",
                    description="The built-in identity provider's discovery document: issuer, JWKS, device and token "
                    "endpoints. With an external provider (`--oidc-issuer`), that provider's own document, so "
                    "CLIs find its device and token endpoints through the cluster's address.",
                    responses={"200": ok_json("The discovery document.", {"type": "object"})})
    }
    p["/oauth/jwks"] = {
        "get": dict(idp_public, operationId="jwks", summary="Signing keys",
                    description="The public keys sessions are signed with (Ed25519, `alg` EdDSA), every node's, "
                    "including rotated keys until the last session they signed has expired.",
                    responses={"200": ok_json("A JWK set.", {"type": "object"}), "404": external})
    }
    p["/oauth/device/code"] = {
        "post": dict(idp_public, operationId="deviceAuthorization", summary="Start a device sign-in (RFC 8628)",
                     description="Answers a device code for the client to poll with and a user code for the person "
                     "to enter at `verification_uri`. `Cache-Control: no-store`.",
                     requestBody=form(["client_id", "scope"], ["client_id"]),
                     responses={
                         "200": ok_json("The codes.", {"type": "object", "properties": {
                             "device_code": {"type": "string"}, "user_code": {"type": "string", "example": "BCDF-GHJK"},
                             "verification_uri": {"type": "string"}, "verification_uri_complete": {"type": "string"},
                             "expires_in": {"type": "integer"}, "interval": {"type": "integer"}}}),
                         "400": oauth_error,
                         "404": external,
                         "413": public_too_large,
                         "429": throttled,
                         "500": oauth_error,
                     })
    }
    p["/oauth/token"] = {
        "post": dict(idp_public, operationId="token", summary="Poll for the session (device grant)",
                     description="With `grant_type=urn:ietf:params:oauth:grant-type:device_code`: "
                     "`authorization_pending` until the person approves, `slow_down` when polled faster than "
                     "`interval`, `access_denied`, `expired_token`, or the session (a JWT, `token_type` Bearer). "
                     "A device code yields one session. `Cache-Control: no-store`.",
                     requestBody=form(["grant_type", "device_code", "client_id"], ["grant_type", "device_code", "client_id"]),
                     responses={
                         "200": ok_json("The session.", {"type": "object", "properties": {
                             "access_token": {"type": "string"}, "token_type": {"type": "string", "enum": ["Bearer"]},
                             "expires_in": {"type": "integer"}, "scope": {"type": "string"}}}),
                         "400": oauth_error,
                         "404": external,
                         "413": public_too_large,
                         "429": throttled,
                         "500": oauth_error,
                     })
    }
    p["/device"] = {
        "get": dict(idp_public, operationId="signInPage", summary="The sign-in page",
                    description="A plain HTML form (no JavaScript) posting `user_code`, `email`, `password` and "
                    "`action` (`approve` or `deny`) to this same URL.",
                    parameters=[{"name": "user_code", "in": "query", "required": False, "schema": {"type": "string"}}],
                    responses={"200": html("The form, with the code filled in when given, naming the client "
                                           "that asked for the sign-in."),
                               "404": external, "429": throttled}),
        "post": dict(idp_public, operationId="signIn", summary="Sign in and approve or deny",
                     description="Checks the email and password (failures limited per email and address and per "
                     "address, and slowed per email) and "
                     "approves or denies the code. Answers a page; errors show in an element with `role=\"alert\"`, "
                     "and the password is never echoed.",
                     requestBody=form(["user_code", "email", "password", "action"], ["user_code", "email", "password"]),
                     responses={
                         "200": html("Approved or denied."),
                         "400": html("A malformed code or form."),
                         "401": html("Wrong email or password."),
                         "404": html("No sign-in is waiting for that code (it may have expired); or, as JSON, "
                                     "the server uses an external provider."),
                         "413": public_too_large,
                         "429": html("Too many failed sign-ins; the page says when to try again. Or, as JSON, "
                                     "too many requests from the address."),
                         "500": html("A server error."),
                     }),
    }

    list_op, get_op = cluster_ops("", False)
    p["/api/v0/clusters"] = {"get": list_op}
    p["/api/v0/clusters/{clusterId}"] = {"parameters": [param("clusterId")], "get": get_op}
    list_op, get_op = cluster_ops("Dedicated", True)
    p["/api/v0/accounts/{accountId}/clusters"] = {"parameters": [param("accountId")], "get": list_op}
    p["/api/v0/accounts/{accountId}/clusters/{clusterId}"] = {
        "parameters": [param("accountId"), param("clusterId")],
        "get": get_op,
    }

    for prefix, sfx, prefix_params in [
        (CLUSTERED, "", []),
        (DEDICATED, "Dedicated", [param("accountId"), param("clusterId")]),
    ]:
        for rel, params, ops in management(sfx):
            item = {}
            if prefix_params or params:
                item["parameters"] = prefix_params + params
            item.update(ops)
            p[prefix + rel] = item
    return p


TS = {"type": "string", "format": "date-time"}
UUID = {"type": "string", "format": "uuid"}


def ts(description):
    return dict(TS, description=description)


def uuid(description):
    return dict(UUID, description=description)


def error_response(description):
    return ok_json(description, schema("Error"))


DATABASE_NAME_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": 64,
    "pattern": "^[A-Za-z0-9/-][A-Za-z0-9_/-]*$",
}

components = {
    "securitySchemes": {
        "bearerAuth": {
            "type": "http",
            "scheme": "bearer",
            "description": "A management token (`strata_mgmt_…`) or a user session (a JWT from the "
            "identity provider) in `Authorization: Bearer <token>`; `Authorization: Token <token>` "
            "is accepted too. Missing, malformed, unknown, expired or revoked credentials are "
            "refused with 401; database tokens authenticate but are refused with 403.",
        }
    },
    "parameters": {
        "accountId": {
            "name": "accountId",
            "in": "path",
            "required": True,
            "description": "The account this server serves; any other answers 404.",
            "schema": UUID,
        },
        "clusterId": {
            "name": "clusterId",
            "in": "path",
            "required": True,
            "description": "The cluster this server serves; any other answers 404.",
            "schema": UUID,
        },
        "databaseName": {
            "name": "databaseName",
            "in": "path",
            "required": True,
            "description": "The name of an active database.",
            "schema": {"type": "string"},
        },
        "tableName": {
            "name": "tableName",
            "in": "path",
            "required": True,
            "description": "The name of an active table.",
            "schema": {"type": "string"},
        },
        "userId": {
            "name": "userId",
            "in": "path",
            "required": True,
            "description": "The user's id; anything but a UUID is refused with 400.",
            "schema": UUID,
        },
        "tokenId": {
            "name": "tokenId",
            "in": "path",
            "required": True,
            "description": "The token's id; anything but a UUID is refused with 400.",
            "schema": UUID,
        },
        "status": {
            "name": "status",
            "in": "query",
            "required": False,
            "description": "Which to list: `active` (the default), `deleted` (soft-deleted, "
            "with `deletedAt`) or `all`. Any other value is refused with 400.",
            "schema": {"type": "string", "enum": ["active", "deleted", "all"], "default": "active"},
        },
        "includeRevoked": {
            "name": "includeRevoked",
            "in": "query",
            "required": False,
            "description": "Include revoked tokens. A value other than `true` or `false` is "
            "refused with 400.",
            "schema": {"type": "boolean", "default": False},
        },
        "auditActor": {
            "name": "actor",
            "in": "query",
            "required": False,
            "description": "Only entries by this actor: a user or token id, `system` (the offline "
            "admin commands) or `anonymous` (refused requests without a known token).",
            "schema": {"type": "string", "example": "system"},
        },
        "auditAction": {
            "name": "action",
            "in": "query",
            "required": False,
            "description": "Only entries with exactly this action, e.g. `database.create`, "
            "`table.rename`, `token.revoke`, `managementToken.create` or `auth.failed`.",
            "schema": {"type": "string"},
        },
        "auditSince": {
            "name": "since",
            "in": "query",
            "required": False,
            "description": "Only entries at or after this time (RFC 3339).",
            "schema": TS,
        },
        "auditUntil": {
            "name": "until",
            "in": "query",
            "required": False,
            "description": "Only entries before this time (RFC 3339).",
            "schema": TS,
        },
        "auditBefore": {
            "name": "before",
            "in": "query",
            "required": False,
            "description": "Only entries with an id below this one: the `id` of the last entry "
            "of the previous page.",
            "schema": {"type": "integer", "format": "int64"},
        },
        "auditLimit": {
            "name": "limit",
            "in": "query",
            "required": False,
            "description": "The most entries to return.",
            "schema": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 1000, "default": 100},
        },
    },
    "responses": {
        "BadRequest": error_response(
            "Bad request: a malformed or invalid body, path parameter or query parameter. "
            "The message says what was wrong."
        ),
        "BadRequestQuery": error_response(
            "Bad request: an invalid path parameter, or an `includeRevoked` that is not a boolean."
        ),
        "Unauthorized": error_response(
            "Unauthorized: the credential is missing, malformed, unknown, expired or revoked. "
            "Every such failure is written to the audit log."
        ),
        "Forbidden": error_response(
            "Forbidden: the credential is valid but may not do this (a database token, or a user "
            "whose group does not allow it)."
        ),
        "NotFound": error_response(
            "Not found: the named resource does not exist (on `/api/v0/accounts/{accountId}/…` "
            "paths, also when accountId or clusterId is not the one this server serves)."
        ),
        "Conflict": error_response(
            "Conflict: the change clashes with an existing record (a name in use, or the "
            "resource is not in the state the operation needs)."
        ),
        "InternalError": error_response(
            "Internal server error. The message names an incident id; the details are in the "
            "server's log, never in the answer."
        ),
        "PayloadTooLarge": error_response("The request body is larger than 2 MiB."),
    },
    "schemas": {
        "QueryError": {
            "type": "object",
            "description": "Errors of `/api/v3/query_sql`, in InfluxDB 3's shape.",
            "required": ["error"],
            "properties": {"error": {"type": "string", "description": "What was wrong."}},
        },
        "QueryRequest": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "db": {"type": "string"},
                "q": {"type": "string"},
                "format": {"type": "string", "enum": ["json", "jsonl", "csv", "pretty", "parquet"]},
                "params": {"type": "object", "description": "InfluxQL bind parameters."},
            },
        },
        "WriteError": {
            "type": "object",
            "description": "Errors of `/api/v2/write` and `/write`, in InfluxDB's shape.",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "`invalid`, `unauthorized`, `forbidden`, "
                         "`not found`, `request too large`, `unprocessable entity`, `unavailable` "
                         "or `internal error`.", "example": "invalid"},
                "line": {"type": "integer", "description": "The first rejected line (1-based), "
                         "when lines were rejected.", "example": 2},
                "message": {"type": "string", "description": "What was wrong; for rejected lines, "
                            "each one's number, reason and text (up to 100)."},
            },
        },
        "WriteErrorV3": {
            "type": "object",
            "description": "Errors of `/api/v3/write_lp`, in InfluxDB 3's shape.",
            "required": ["error"],
            "properties": {
                "error": {"type": "string", "description": "What was wrong."},
                "data": {
                    "type": "array",
                    "description": "The rejected lines (up to 100).",
                    "items": {
                        "type": "object",
                        "properties": {
                            "original_line": {"type": "string"},
                            "line_number": {"type": "integer"},
                            "error_message": {"type": "string"},
                        },
                    },
                },
            },
        },
        "Error": {
            "type": "object",
            "description": "Every error the Management API answers with.",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "integer", "description": "The HTTP status code.", "example": 404},
                "message": {
                    "type": "string",
                    "description": "What was wrong and, where it helps, what to do.",
                    "example": "database \"telemetry\" not found",
                },
            },
        },
        "Health": {
            "type": "object",
            "required": ["name", "status", "version"],
            "properties": {
                "name": {"type": "string", "enum": ["strata"]},
                "status": {"type": "string", "enum": ["pass"]},
                "version": {"type": "string", "description": "The server's version."},
            },
        },
        "PartitionTemplatePart": {
            "description": "One part of a partition template.",
            "oneOf": [
                schema("PartitionTemplateTimePart"),
                schema("PartitionTemplateTagPart"),
                schema("PartitionTemplateBucketPart"),
            ],
            "discriminator": {
                "propertyName": "type",
                "mapping": {
                    "time": "#/components/schemas/PartitionTemplateTimePart",
                    "tag": "#/components/schemas/PartitionTemplateTagPart",
                    "bucket": "#/components/schemas/PartitionTemplateBucketPart",
                },
            },
        },
        "PartitionTemplateTimePart": {
            "type": "object",
            "description": "Partition by time, with a strftime format.",
            "required": ["type", "value"],
            "properties": {
                "type": {"type": "string", "enum": ["time"]},
                "value": {"type": "string", "enum": ["%Y-%m-%d", "%Y-%m", "%Y"]},
            },
        },
        "PartitionTemplateTagPart": {
            "type": "object",
            "description": "Partition by the value of a tag (not `time`).",
            "required": ["type", "value"],
            "properties": {
                "type": {"type": "string", "enum": ["tag"]},
                "value": {"type": "string", "minLength": 1, "description": "The tag name."},
            },
        },
        "PartitionTemplateBucketPart": {
            "type": "object",
            "description": "Partition by a hash of a tag's value into a number of buckets.",
            "required": ["type", "value"],
            "properties": {
                "type": {"type": "string", "enum": ["bucket"]},
                "value": {
                    "type": "object",
                    "required": ["tagName", "numberOfBuckets"],
                    "properties": {
                        "tagName": {"type": "string", "minLength": 1},
                        "numberOfBuckets": {
                            "type": "integer",
                            "format": "int32",
                            "minimum": 1,
                            "maximum": 100000,
                        },
                    },
                },
            },
        },
        "PartitionTemplate": {
            "type": "array",
            "description": "1 to 8 parts: at most one time part, and each tag in one part only.",
            "minItems": 1,
            "maxItems": 8,
            "items": schema("PartitionTemplatePart"),
            "example": [
                {"type": "time", "value": "%Y-%m-%d"},
                {"type": "tag", "value": "host"},
                {"type": "bucket", "value": {"tagName": "rack", "numberOfBuckets": 10}},
            ],
        },
        "Database": {
            "type": "object",
            "required": [
                "accountId",
                "clusterId",
                "id",
                "name",
                "maxTables",
                "maxColumnsPerTable",
                "retentionPeriod",
                "status",
                "createdAt",
            ],
            "properties": {
                "accountId": UUID,
                "clusterId": UUID,
                "id": {"type": "integer", "format": "int64", "description": "The database's numeric id; undelete takes it."},
                "name": {"type": "string"},
                "maxTables": {"type": "integer", "format": "int32"},
                "maxColumnsPerTable": {"type": "integer", "format": "int32"},
                "retentionPeriod": {
                    "type": "integer",
                    "format": "int64",
                    "description": "In nanoseconds; 0 means infinite.",
                },
                "status": {"type": "string", "enum": ["active", "deleted"]},
                "createdAt": TS,
                "partitionTemplate": schema("PartitionTemplate"),
                "deletedAt": ts("Present only on deleted databases."),
            },
        },
        "Table": {
            "type": "object",
            "required": ["accountId", "clusterId", "databaseName", "id", "name", "status", "createdAt"],
            "properties": {
                "accountId": UUID,
                "clusterId": UUID,
                "databaseName": {"type": "string"},
                "id": {"type": "integer", "format": "int64", "description": "The table's numeric id; undelete takes it."},
                "name": {"type": "string"},
                "status": {"type": "string", "enum": ["active", "deleted"]},
                "createdAt": TS,
                "partitionTemplate": schema("PartitionTemplate"),
                "deletedAt": ts("Present only on deleted tables."),
            },
        },
        "Permission": {
            "type": "object",
            "description": "One grant of a database token.",
            "required": ["action", "resource"],
            "properties": {
                "action": {"type": "string", "enum": ["read", "write"]},
                "resource": {
                    "type": "string",
                    "description": "A database name, or `*` for every database (including ones "
                    "created later).",
                    "example": "*",
                },
            },
        },
        "ManagementToken": {
            "type": "object",
            "description": "A token's metadata; the secret is never returned after creation.",
            "required": ["accountId", "clusterId", "id", "description", "tokenPrefix", "createdAt", "createdBy"],
            "properties": {
                "accountId": UUID,
                "clusterId": UUID,
                "id": UUID,
                "description": {"type": "string"},
                "tokenPrefix": {
                    "type": "string",
                    "description": "A short, non-secret beginning of the token to recognise it by.",
                },
                "createdAt": TS,
                "createdBy": {
                    "type": "string",
                    "description": "`user:<id>`, `managementToken:<id>` or `system` (the offline "
                    "admin command).",
                    "example": "user:3f0c2b9e-6d1a-4c4e-9a57-0d7f3e9b1a2c",
                },
                "expiresAt": ts("Present only when the token expires."),
                "revokedAt": ts("Present only when the token is revoked."),
                "lastUsedAt": ts("When the token last authenticated (coalesced to about a minute); absent if never."),
            },
        },
        "DatabaseToken": {
            "description": "A database token's metadata and permissions.",
            "allOf": [
                schema("ManagementToken"),
                {
                    "type": "object",
                    "required": ["permissions"],
                    "properties": {"permissions": {"type": "array", "items": schema("Permission")}},
                },
            ],
        },
        "CreatedDatabaseToken": {
            "description": "A new database token, with its secret.",
            "allOf": [schema("DatabaseToken"), schema("AccessToken")],
        },
        "CreatedManagementToken": {
            "description": "A new management token, with its secret.",
            "allOf": [schema("ManagementToken"), schema("AccessToken")],
        },
        "AccessToken": {
            "type": "object",
            "required": ["accessToken"],
            "properties": {
                "accessToken": {
                    "type": "string",
                    "description": "The token's secret (`strata_db_…` or `strata_mgmt_…`). "
                    "Returned only here, once; store it now.",
                }
            },
        },
        "Cluster": {
            "type": "object",
            "required": ["id", "accountId", "name", "state", "url", "category", "createdAt"],
            "properties": {
                "id": UUID,
                "accountId": UUID,
                "name": {"type": "string"},
                "state": {"type": "string", "example": "ready"},
                "url": {"type": "string", "description": "The address clients reach the cluster at."},
                "category": {"type": "integer", "enum": [1]},
                "createdAt": TS,
            },
        },
        "User": {
            "type": "object",
            "required": ["id", "accountId", "email", "firstName", "lastName", "group", "status", "createdAt"],
            "properties": {
                "id": UUID,
                "accountId": UUID,
                "email": {"type": "string"},
                "firstName": {"type": "string"},
                "lastName": {"type": "string"},
                "group": {"type": "string", "enum": ["Admin", "Member", "Auditor"]},
                "status": {"type": "string", "example": "active"},
                "subject": {
                    "type": "string",
                    "nullable": True,
                    "description": "The user's `sub` at an external identity provider (`--oidc-user-claim sub`).",
                },
                "createdAt": TS,
                "updatedAt": TS,
            },
        },
        "InviteUserRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["email", "group"],
            "properties": {
                "email": {"type": "string", "format": "email"},
                "firstName": {"type": "string"},
                "lastName": {"type": "string"},
                "group": {"type": "string", "enum": ["Admin", "Member", "Auditor"], "description": "Case-insensitive."},
                "password": {"type": "string", "minLength": 12, "writeOnly": True},
                "subject": {
                    "type": "string",
                    "minLength": 1,
                    "description": "The user's `sub` at an external identity provider; unique (409).",
                },
            },
        },
        "UpdateUserRequest": {
            "type": "object",
            "description": "Give at least one property.",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {
                "firstName": {"type": "string"},
                "lastName": {"type": "string"},
                "group": {"type": "string", "enum": ["Admin", "Member", "Auditor"], "description": "Case-insensitive."},
                "password": {"type": "string", "minLength": 12, "writeOnly": True},
            },
        },
        "OAuthError": {
            "type": "object",
            "required": ["error", "error_description"],
            "properties": {
                "error": {
                    "type": "string",
                    "enum": [
                        "invalid_request", "invalid_grant", "unsupported_grant_type",
                        "authorization_pending", "slow_down", "expired_token", "access_denied",
                        "server_error",
                    ],
                },
                "error_description": {"type": "string"},
            },
        },
        "AuditEntry": {
            "type": "object",
            "required": [
                "id",
                "time",
                "actorKind",
                "actorId",
                "action",
                "target",
                "sourceAddress",
                "outcome",
                "detail",
            ],
            "properties": {
                "id": {"type": "integer", "format": "int64", "description": "Increasing; page with `before`."},
                "time": TS,
                "actorKind": {
                    "type": "string",
                    "enum": ["user", "managementToken", "databaseToken", "system", "anonymous"],
                },
                "actorId": dict(UUID, nullable=True, description="Null for `system` and `anonymous`."),
                "action": {"type": "string", "example": "database.create"},
                "target": {"type": "string", "description": "What was acted on (a name, a token id, or `METHOD path` for `auth.failed`)."},
                "sourceAddress": {"type": "string", "description": "The client's IP address."},
                "outcome": {"type": "string", "enum": ["success", "denied", "failed"]},
                "detail": {"type": "string", "description": "Why it was denied or failed; empty on success."},
            },
        },
        "CreateDatabaseRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name"],
            "properties": {
                "name": dict(
                    DATABASE_NAME_SCHEMA,
                    description="1 to 64 letters, digits, `_`, `-` and `/`; not starting with `_`.",
                ),
                "maxTables": {
                    "type": "integer",
                    "format": "int32",
                    "minimum": 0,
                    "default": 0,
                    "description": "0 or absent takes the default of 500.",
                },
                "maxColumnsPerTable": {
                    "type": "integer",
                    "format": "int32",
                    "minimum": 0,
                    "maximum": 1000,
                    "default": 0,
                    "description": "1 to 1000 (including `time`); 0 or absent takes the default of 250.",
                },
                "retentionPeriod": {
                    "type": "integer",
                    "format": "int64",
                    "minimum": 0,
                    "default": 0,
                    "description": "In nanoseconds: 0 or absent for infinite, otherwise at least "
                    "one hour (3600000000000).",
                },
                "partitionTemplate": schema("PartitionTemplate"),
            },
        },
        "UpdateDatabaseRequest": {
            "type": "object",
            "description": "Give at least one property.",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {
                "maxTables": {
                    "type": "integer",
                    "format": "int32",
                    "minimum": 0,
                    "description": "0 takes the default of 500.",
                },
                "maxColumnsPerTable": {
                    "type": "integer",
                    "format": "int32",
                    "minimum": 0,
                    "maximum": 1000,
                    "description": "0 takes the default of 250.",
                },
                "retentionPeriod": {
                    "type": "integer",
                    "format": "int64",
                    "minimum": 0,
                    "description": "In nanoseconds: 0 for infinite, otherwise at least one hour.",
                },
            },
        },
        "RenameRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name"],
            "properties": {
                "name": {
                    "type": "string",
                    "description": "The new name, following the same rules as at creation.",
                }
            },
        },
        "CreateTableRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name"],
            "properties": {
                "name": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 255,
                    "description": "Up to 255 bytes, no control characters, not `time`, not "
                    "starting with `_` or `iox_`.",
                },
                "partitionTemplate": schema("PartitionTemplate"),
            },
        },
        "CreateDatabaseTokenRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["description"],
            "properties": {
                "description": {
                    "type": "string",
                    "minLength": 1,
                    "description": "What the token is for; must not be blank.",
                },
                "permissions": {
                    "type": "array",
                    "items": schema("Permission"),
                    "default": [],
                    "description": "Duplicates are dropped. Absent means no permissions.",
                },
                "expiresAt": ts("When the token stops working; must be in the future. Absent means never."),
                "expirationType": {
                    "type": "string",
                    "enum": ["datetime", "noExpiration"],
                    "description": "Optional, as some clients send it: `datetime` needs "
                    "`expiresAt`; `noExpiration` forbids it.",
                },
            },
        },
        "UpdateDatabaseTokenRequest": {
            "type": "object",
            "description": "Give at least one property.",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {
                "description": {"type": "string", "minLength": 1, "description": "Must not be blank."},
                "permissions": {
                    "type": "array",
                    "items": schema("Permission"),
                    "description": "Replaces the whole permission set.",
                },
            },
        },
        "CreateManagementTokenRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["description"],
            "properties": {
                "description": {
                    "type": "string",
                    "minLength": 1,
                    "description": "What the token is for; must not be blank.",
                },
                "expiresAt": ts("When the token stops working; must be in the future. Absent means never (or the creating token's own expiry)."),
                "expirationType": {
                    "type": "string",
                    "enum": ["datetime", "noExpiration"],
                    "description": "Optional: `datetime` needs `expiresAt`; `noExpiration` forbids it.",
                },
            },
        },
    },
}

doc = {
    "openapi": "3.0.3",
    "info": {
        "title": "Strata Management API",
        "version": "0.1.0",
        "description": "The Management API of a Strata node, in the shape of InfluxDB 3 Cloud "
        "Dedicated's REST API (`v0`). Every Management API route is served under two prefixes "
        "that reach the same handlers: the clustered shape `/api/v0/…` and the dedicated shape "
        "`/api/v0/accounts/{accountId}/clusters/{clusterId}/…` (which must name this server's "
        "account and cluster, else 404).\n\n"
        "Fields are camelCase; times are RFC 3339; token, user, account and cluster ids are "
        "UUIDs; database and table ids are int64. Errors are always "
        "`{\"code\": <HTTP status>, \"message\": \"…\"}`; a method a path does not serve answers "
        "405 and an unknown path 404, in the same shape. Request bodies must be JSON "
        "(`Content-Type: application/json`) and unknown fields are refused with 400.",
    },
    "tags": [
        {"name": "Service", "description": "Health, ping, metrics and this document; no credentials."},
        {"name": "Clusters"},
        {"name": "Databases"},
        {"name": "Tables"},
        {"name": "Database tokens"},
        {"name": "Management tokens"},
        {"name": "Users"},
        {"name": "Audit log"},
        {"name": "Write", "description": "The data plane: line protocol in, with a database token."},
        {"name": "Query", "description": "The data plane: SQL, with a database token."},
    ],
    "paths": paths(),
    "components": components,
}

json.dump(doc, sys.stdout, indent=2, ensure_ascii=False)
sys.stdout.write("\n")
