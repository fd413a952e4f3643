#!/usr/bin/env python3
"""Runs one query through Arrow Flight DoGet with pyarrow and prints the rows as JSON.

    flight_query.py grpc+tcp://HOST:PORT TOKEN DATABASE QUERY [sql|influxql]

Prints {"rows": [...]} or {"error": <the pyarrow exception class>, "message": ...}.
"""
import json
import sys

import pyarrow
import pyarrow.flight as flight

url, token, database, query = sys.argv[1:5]
query_type = sys.argv[5] if len(sys.argv) > 5 else "sql"
client = flight.FlightClient(url)
ticket = flight.Ticket(
    json.dumps({"database": database, "sql_query": query, "query_type": query_type}).encode()
)
headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
try:
    table = client.do_get(ticket, flight.FlightCallOptions(headers=headers)).read_all()
    print(json.dumps({"rows": table.to_pylist()}, default=str))
except (flight.FlightError, pyarrow.ArrowException) as e:
    print(json.dumps({"error": type(e).__name__, "message": str(e)}))
