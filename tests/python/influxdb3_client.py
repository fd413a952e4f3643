#!/usr/bin/env python3
"""Writes points and reads them back with the official InfluxDB 3 Python client.

    influxdb3_client.py http://HOST:PORT TOKEN DATABASE

Writes three `weather` points (line protocol over HTTP), queries them over Arrow Flight with
SQL and with InfluxQL, and prints both answers' rows as JSON (`time` as integer nanoseconds):
`{"sql": [...], "influxql": [...]}`.
"""
import json
import sys

from influxdb_client_3 import InfluxDBClient3, Point

host, token, database = sys.argv[1:4]
client = InfluxDBClient3(host=host, token=token, database=database)
base = 1_700_000_000_000_000_000
points = [
    Point("weather").tag("city", "oslo").field("temp", -3.5).field("humidity", 80).time(base),
    Point("weather").tag("city", "lima").field("temp", 19.25).field("humidity", 71).time(base + 1),
    Point("weather").tag("city", "oslo").field("temp", -4.0).field("humidity", 82).time(base + 2),
]
client.write(record=points)


def rows(table):
    index = table.column_names.index("time")
    return table.set_column(index, "time", table.column("time").cast("int64")).to_pylist()


sql = client.query("SELECT city, temp, humidity, time FROM weather ORDER BY time", language="sql")
influxql = client.query("SELECT max(temp) FROM weather GROUP BY city", language="influxql")
print(json.dumps({"sql": rows(sql), "influxql": rows(influxql)}))
client.close()
