#!/usr/bin/env python3
"""Writes and queries through the official InfluxDB 1.x Python client (package influxdb), which
asks for MessagePack answers, and prints what it read as JSON.

    influxdb1_client.py HOST PORT TOKEN DATABASE

The token is the client's password (1.x Basic authentication). Prints an object with the
points of each query, and the error the client raised for a bad one.
"""
import json
import sys

from influxdb import InfluxDBClient
from influxdb.exceptions import InfluxDBClientError

host, port, token, database = sys.argv[1:5]
client = InfluxDBClient(host=host, port=int(port), username="user", password=token, database=database)
client.write_points(
    [
        {
            "measurement": "weather",
            "tags": {"city": "oslo"},
            "time": 1_700_000_000_000_000_000,
            "fields": {"temp": -3.5, "humidity": 80, "station": "north", "sunny": False},
        },
        {
            "measurement": "weather",
            "tags": {"city": "lima"},
            "time": 1_700_000_000_500_000_000,
            "fields": {"temp": 19.25, "humidity": 71, "station": "coast", "sunny": True},
        },
        {
            "measurement": "weather",
            "tags": {"city": "oslo"},
            "time": 1_700_000_060_000_000_000,
            "fields": {"temp": -4.0, "humidity": 82, "station": "north", "sunny": False},
        },
    ],
    time_precision="n",
)

answers = {}
answers["raw"] = list(client.query("SELECT * FROM weather").get_points())
answers["epoch_ms"] = list(client.query("SELECT temp FROM weather", epoch="ms").get_points())
grouped = client.query("SELECT max(temp) FROM weather GROUP BY city")
answers["grouped"] = {
    city: list(grouped.get_points(tags={"city": city})) for city in ("lima", "oslo")
}
several = client.query("SELECT count(temp) FROM weather; SHOW MEASUREMENTS")
answers["several"] = [list(result.get_points()) for result in several]
try:
    client.query("SELECT nope(temp) FROM weather")
    answers["error"] = None
except InfluxDBClientError as e:
    answers["error"] = str(e)
try:
    InfluxDBClient(host=host, port=int(port), username="user", password="wrong", database=database).query(
        "SELECT temp FROM weather"
    )
    answers["refused"] = None
except InfluxDBClientError as e:
    answers["refused"] = {"code": e.code, "content": str(e.content)}
print(json.dumps(answers))
