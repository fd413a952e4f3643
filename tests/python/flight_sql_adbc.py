#!/usr/bin/env python3
"""Queries Strata through Flight SQL with the ADBC Flight SQL driver and prints what it saw as JSON.

    flight_sql_adbc.py grpc://HOST:PORT TOKEN DATABASE

Runs `SELECT host, usage FROM cpu ORDER BY time`, the same with `WHERE host = $1` bound to
"a", a statement the server must refuse (DDL), and the driver's catalog calls
(adbc_get_objects, adbc_get_table_schema, adbc_get_table_types, adbc_get_info). Prints
{"rows", "matching", "refused", "objects", "table_schema", "table_types", "vendor_name"}.
"""
import json
import sys

import adbc_driver_flightsql.dbapi as flight_sql
import adbc_driver_manager

url, token, database = sys.argv[1:4]
connection = flight_sql.connect(
    url,
    db_kwargs={
        "adbc.flight.sql.authorization_header": f"Bearer {token}",
        "adbc.flight.sql.rpc.call_header.database": database,
    },
    # Strata has no transactions; the driver's default would ask for one.
    autocommit=True,
)
with connection, connection.cursor() as cursor:
    cursor.execute("SELECT host, usage FROM cpu ORDER BY time")
    rows = cursor.fetch_arrow_table().to_pylist()
    cursor.execute("SELECT host, usage FROM cpu WHERE host = $1 ORDER BY time", ("a",))
    matching = cursor.fetch_arrow_table().to_pylist()
    try:
        cursor.execute("CREATE TABLE t (a INT)")
        cursor.fetchall()
        refused = None
    except adbc_driver_manager.Error as e:
        refused = str(e)

    objects = connection.adbc_get_objects(depth="all").read_all().to_pylist()
    tables = {}
    for catalog in objects:
        for schema in catalog["catalog_db_schemas"] or []:
            for table in schema["db_schema_tables"] or []:
                name = f'{catalog["catalog_name"]}.{schema["db_schema_name"]}.{table["table_name"]}'
                tables[name] = {
                    "type": table["table_type"],
                    "columns": [c["column_name"] for c in table["table_columns"] or []],
                }
    schema = connection.adbc_get_table_schema("cpu", db_schema_filter="iox")
    table_types = sorted(connection.adbc_get_table_types())
    info = connection.adbc_get_info()

print(
    json.dumps(
        {
            "rows": rows,
            "matching": matching,
            "refused": refused,
            "objects": tables,
            "table_schema": {field.name: str(field.type) for field in schema},
            "table_types": table_types,
            "vendor_name": info.get("vendor_name"),
        },
        default=str,
    )
)
