//! Queries in the style of InfluxData's documentation (NOAA water data, the home sensor data,
//! Telegraf's cpu measurement): every one must parse and survive a print/parse round trip.

use strata_influxql::*;

use crate::{canonical, select};

const QUERIES: &[&str] = &[
    // The basics.
    r#"SELECT * FROM "h2o_feet""#,
    r#"SELECT "level description","location","water_level" FROM "h2o_feet""#,
    r#"SELECT "level description"::field,"location"::tag,"water_level"::field FROM "h2o_feet""#,
    r#"SELECT *::field FROM "h2o_feet""#,
    r#"SELECT ("water_level" * 2) + 4 FROM "h2o_feet""#,
    r#"SELECT * FROM "h2o_feet","h2o_pH""#,
    r#"SELECT * FROM "NOAA_water_database"."autogen"."h2o_feet""#,
    r#"SELECT * FROM "NOAA_water_database".."h2o_feet""#,
    // WHERE.
    r#"SELECT * FROM "h2o_feet" WHERE "water_level" > 8"#,
    r#"SELECT * FROM "h2o_feet" WHERE "level description" = 'below 3 feet'"#,
    r#"SELECT * FROM "h2o_feet" WHERE "water_level" + 2 > 11.9"#,
    r#"SELECT "water_level" FROM "h2o_feet" WHERE "location" = 'santa_monica'"#,
    r#"SELECT "water_level" FROM "h2o_feet" WHERE "location" <> 'santa_monica' AND (water_level < -0.59 OR water_level > 9.95)"#,
    r#"SELECT * FROM "h2o_feet" WHERE time > now() - 7d"#,
    r#"SELECT "water_level" FROM "h2o_feet" WHERE "location" = 'santa_monica' AND time >= '2015-08-18T00:00:00Z' AND time <= '2015-08-18T00:30:00Z'"#,
    r#"SELECT "water_level" FROM "h2o_feet" WHERE time >= 1439856000000000000 AND time <= 1439857800000000000"#,
    r#"SELECT * FROM "h2o_feet" WHERE time > '2015-09-18T21:24:00Z' + 6m"#,
    // GROUP BY.
    r#"SELECT MEAN("index") FROM "h2o_quality" GROUP BY "location""#,
    r#"SELECT MEAN("index") FROM "h2o_quality" GROUP BY location,randtag"#,
    r#"SELECT MEAN("index") FROM "h2o_quality" GROUP BY *"#,
    r#"SELECT MEAN("index") FROM "h2o_quality" GROUP BY /l/"#,
    r#"SELECT COUNT("water_level") FROM "h2o_feet" WHERE "location"='coyote_creek' AND time >= '2015-08-18T00:00:00Z' AND time <= '2015-08-18T00:30:00Z' GROUP BY time(12m)"#,
    r#"SELECT COUNT("water_level") FROM "h2o_feet" WHERE time >= '2015-08-18T00:00:00Z' AND time <= '2015-08-18T00:30:00Z' GROUP BY time(12m),"location""#,
    r#"SELECT MEAN("water_level") FROM "h2o_feet" WHERE "location"='coyote_creek' AND time >= '2015-08-18T00:06:00Z' AND time <= '2015-08-18T00:54:00Z' GROUP BY time(18m,6m)"#,
    r#"SELECT MEAN("water_level") FROM "h2o_feet" WHERE "location"='coyote_creek' AND time >= '2015-08-18T00:06:00Z' AND time <= '2015-08-18T00:54:00Z' GROUP BY time(18m,-12m)"#,
    r#"SELECT MAX("water_level") FROM "h2o_feet" WHERE "location"='coyote_creek' AND time >= '2015-09-18T16:00:00Z' AND time <= '2015-09-18T16:42:00Z' GROUP BY time(12m) fill(100)"#,
    r#"SELECT MEAN("tadpoles") FROM "pond" WHERE time > '2016-11-11T21:24:00Z' AND time <= '2016-11-11T22:06:00Z' GROUP BY time(12m) fill(linear)"#,
    r#"SELECT mean("water_level") FROM "h2o_feet" WHERE time >= now() - 12h GROUP BY time(12m), "location" fill(previous) LIMIT 10"#,
    // ORDER BY, LIMIT, SLIMIT, OFFSET, SOFFSET, tz.
    r#"SELECT "water_level" FROM "h2o_feet" WHERE "location" = 'santa_monica' ORDER BY time DESC"#,
    r#"SELECT "water_level","location" FROM "h2o_feet" LIMIT 3"#,
    r#"SELECT "water_level" FROM "h2o_feet" GROUP BY * SLIMIT 1"#,
    r#"SELECT "water_level","location" FROM "h2o_feet" LIMIT 3 OFFSET 3"#,
    r#"SELECT "water_level" FROM "h2o_feet" GROUP BY * SLIMIT 1 SOFFSET 1"#,
    r#"SELECT MEAN("water_level") FROM "h2o_feet" WHERE time >= '2015-08-18T00:00:00Z' AND time <= '2015-08-18T00:42:00Z' GROUP BY *,time(12m) ORDER BY time DESC LIMIT 2 OFFSET 2 SLIMIT 1 SOFFSET 1"#,
    r#"SELECT "water_level" FROM "h2o_feet" WHERE "location" = 'santa_monica' AND time >= '2015-08-18T00:00:00Z' AND time <= '2015-08-18T00:18:00Z' tz('America/Chicago')"#,
    // Regular expressions.
    r#"SELECT /l/ FROM "h2o_feet" LIMIT 1"#,
    r#"SELECT MEAN("degrees") FROM /temperature/"#,
    r#"SELECT MEAN(water_level) FROM "h2o_feet" WHERE "location" =~ /[m]/ AND "water_level" > 3"#,
    r#"SELECT * FROM "h2o_feet" WHERE "location" !~ /./"#,
    r#"SELECT FIRST("index") FROM "h2o_quality" GROUP BY /l/"#,
    r#"SELECT MEAN("water_level") FROM "h2o_feet" WHERE "location" = 'santa_monica' AND "level description" =~ /between/"#,
    // Functions.
    r#"SELECT COUNT(DISTINCT("level description")) FROM "h2o_feet""#,
    r#"SELECT DISTINCT "level description" FROM "h2o_feet""#,
    r#"SELECT MEDIAN("water_level"), MODE("level description"), SPREAD("water_level"), STDDEV("water_level") FROM "h2o_feet""#,
    r#"SELECT PERCENTILE("water_level",5) FROM "h2o_feet" WHERE "location" = 'coyote_creek'"#,
    r#"SELECT TOP("water_level","location",2) FROM "h2o_feet""#,
    r#"SELECT BOTTOM("water_level",3),"location" FROM "h2o_feet""#,
    r#"SELECT SAMPLE("water_level",2) FROM "h2o_feet" WHERE time >= '2015-08-18T00:00:00Z' AND time <= '2015-08-18T00:30:00Z' GROUP BY time(18m)"#,
    r#"SELECT FIRST("water_level"), LAST("water_level"), MIN("water_level"), MAX("water_level"), SUM("water_level") FROM "h2o_feet""#,
    r#"SELECT DERIVATIVE(MEAN("water_level"),6m) FROM "h2o_feet" WHERE "location" = 'santa_monica' AND time >= '2015-08-18T00:00:00Z' AND time <= '2015-08-18T00:30:00Z' GROUP BY time(12m)"#,
    r#"SELECT NON_NEGATIVE_DERIVATIVE(max("bytes_recv"), 1s) AS "rx" FROM "net" WHERE time > now() - 1h GROUP BY time(10s), "host" fill(none)"#,
    r#"SELECT MOVING_AVERAGE("water_level",2) FROM "h2o_feet" WHERE "location" = 'santa_monica' LIMIT 5"#,
    r#"SELECT ROUND(MEAN("water_level") * 100) / 100 AS "avg" FROM "h2o_feet""#,
    // Subqueries.
    r#"SELECT SUM("max") FROM (SELECT MAX("water_level") FROM "h2o_feet" GROUP BY "location")"#,
    r#"SELECT MEAN("difference") FROM (SELECT "cats" - "dogs" AS "difference" FROM "pet_daycare")"#,
    r#"SELECT "all_the_means" FROM (SELECT MEAN("water_level") AS "all_the_means" FROM "h2o_feet" WHERE time >= '2015-08-18T00:00:00Z' AND time <= '2015-08-18T00:30:00Z' GROUP BY time(12m) ) WHERE "all_the_means" > 5"#,
    // InfluxDB 3 home sensor data and Telegraf.
    r#"SELECT temp, hum, room FROM home WHERE time >= '2022-01-01T08:00:00Z' AND time <= '2022-01-01T20:00:00Z' AND room = 'Kitchen'"#,
    r#"SELECT MEAN(temp) AS avg_temp FROM home WHERE time >= '2022-01-01T08:00:00Z' AND time <= '2022-01-01T20:00:00Z' GROUP BY time(2h), room"#,
    r#"SELECT mean("usage_idle") FROM "telegraf"."autogen"."cpu" WHERE "cpu" = 'cpu-total' AND time > now() - 5m GROUP BY time(10s) fill(null)"#,
    r#"SELECT 100 - mean("usage_idle") AS "used" FROM "cpu" WHERE "host" =~ /^web-[0-9]+$/ AND time >= now() - 1h GROUP BY time(1m), "host" fill(0)"#,
    // Several statements at once.
    r#"SELECT MEAN("water_level") FROM "h2o_feet"; SELECT "water_level" FROM "h2o_feet" LIMIT 2"#,
    // SHOW.
    "SHOW DATABASES",
    "SHOW RETENTION POLICIES",
    r#"SHOW RETENTION POLICIES ON "example-database""#,
    "SHOW MEASUREMENTS",
    r#"SHOW MEASUREMENTS WHERE "region" = 'uswest' AND "host" = 'serverA'"#,
    "SHOW MEASUREMENTS WITH MEASUREMENT =~ /h2o.*/",
    "SHOW MEASUREMENTS ON NOAA_water_database WITH MEASUREMENT =~ /h2o.*/ WHERE \"randtag\" =~ /\\d/",
    "SHOW MEASUREMENTS LIMIT 2 OFFSET 1",
    "SHOW FIELD KEYS",
    "SHOW FIELD KEYS FROM home",
    "SHOW FIELD KEYS ON \"example-database\" FROM \"h2o_feet\" LIMIT 1 OFFSET 1",
    "SHOW TAG KEYS",
    "SHOW TAG KEYS FROM \"h2o_feet\"",
    "SHOW TAG KEYS ON \"NOAA_water_database\" FROM \"h2o_quality\" LIMIT 1 OFFSET 1",
    "SHOW TAG KEYS WHERE \"host\" = 'serverA'",
    "SHOW TAG VALUES WITH KEY = \"randtag\"",
    "SHOW TAG VALUES FROM home WITH KEY = room",
    "SHOW TAG VALUES ON \"NOAA_water_database\" WITH KEY IN (\"location\",\"randtag\") WHERE \"randtag\" =~ /./ LIMIT 3",
    "SHOW TAG VALUES FROM \"cpu\" WITH KEY =~ /ho/ WHERE time > now() - 1d",
    "SHOW TAG VALUES WITH KEY != \"randtag\" LIMIT 5 OFFSET 5",
    "SHOW SERIES CARDINALITY",
    "SHOW SERIES CARDINALITY ON mydb",
    "SHOW SERIES EXACT CARDINALITY",
    "SHOW SERIES EXACT CARDINALITY ON mydb",
    "SHOW MEASUREMENT CARDINALITY",
    "SHOW MEASUREMENT EXACT CARDINALITY ON mydb",
    "SHOW TAG KEY CARDINALITY",
    "SHOW TAG KEY EXACT CARDINALITY ON mydb",
    "SHOW TAG VALUES CARDINALITY WITH KEY = \"myTagKey\"",
    "SHOW TAG VALUES EXACT CARDINALITY ON mydb WITH KEY = \"myTagKey\"",
    "SHOW FIELD KEY CARDINALITY",
    "SHOW FIELD KEY EXACT CARDINALITY ON mydb",
    "SHOW CONTINUOUS QUERIES",
    "SHOW USERS",
    "SHOW SUBSCRIPTIONS",
];

#[test]
fn every_documented_query_parses_and_round_trips() {
    for query in QUERIES {
        canonical(query);
    }
}

#[test]
fn the_brief_example() {
    let s = select(
        r#"SELECT mean("water_level") FROM "h2o_feet" WHERE time >= now() - 12h GROUP BY time(12m), "location" fill(previous) LIMIT 10"#,
    );
    assert_eq!(s.fields.len(), 1);
    let ExprKind::Call(call) = &s.fields[0].expr.kind else {
        panic!()
    };
    assert_eq!(call.name, "mean");
    assert_eq!(call.args, vec![Expr::var("water_level")]);
    assert_eq!(
        s.condition,
        Some(Condition::comparison(
            Expr::var("time"),
            ComparisonOperator::GtEq,
            Expr::binary(
                Expr::call("now", vec![]),
                BinaryOperator::Sub,
                Expr::literal(Literal::Duration(Duration(12 * Duration::HOUR)))
            )
        ))
    );
    assert_eq!(
        s.group_by,
        vec![
            Dimension::new(DimensionKind::Time {
                interval: Duration(12 * Duration::MINUTE),
                offset: None
            }),
            Dimension::new(DimensionKind::Tag(Ident::new("location"))),
        ]
    );
    assert_eq!(s.fill, Some(Fill::Previous));
    assert_eq!(s.limit, Some(10));
}

#[test]
fn canonical_forms_of_documented_queries() {
    assert_eq!(
        canonical(r#"SELECT ("water_level" * 2) + 4 FROM "h2o_feet""#),
        "SELECT water_level * 2 + 4 FROM h2o_feet"
    );
    assert_eq!(
        canonical(r#"SELECT * FROM "NOAA_water_database".."h2o_feet""#),
        "SELECT * FROM NOAA_water_database..h2o_feet"
    );
    assert_eq!(
        canonical(r#"SELECT DISTINCT "level description" FROM "h2o_feet""#),
        r#"SELECT distinct("level description") FROM h2o_feet"#
    );
    assert_eq!(
        canonical(
            r#"SELECT MEAN("water_level") FROM "h2o_feet" WHERE "location"='coyote_creek' GROUP BY time(18m,-12m)"#
        ),
        "SELECT mean(water_level) FROM h2o_feet WHERE location = 'coyote_creek' GROUP BY time(18m, -12m)"
    );
    assert_eq!(
        canonical(
            r#"SELECT "water_level" FROM "h2o_feet" WHERE "location" <> 'santa_monica' AND (water_level < -0.59 OR water_level > 9.95)"#
        ),
        "SELECT water_level FROM h2o_feet WHERE location != 'santa_monica' AND (water_level < -0.59 OR water_level > 9.95)"
    );
}
