#!/usr/bin/env python3
"""Prints every Parquet file under a store location as JSON, read with pyarrow.

    read_parquet.py file:///DIR
    read_parquet.py s3://BUCKET/PREFIX   (endpoint and credentials from STRATA_TEST_S3_*)

Output: a list of {"path", "columns": [{"name", "type", "column_type"}], "sorted_by",
"statistics", "rows": [{column: value}]}, with `time` as integer nanoseconds. The tests use
it as a reader independent of Strata's own Parquet code.
"""
import json
import os
import sys

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq


def open_location(url):
    if url.startswith("file://"):
        return pafs.LocalFileSystem(), url[len("file://"):]
    if url.startswith("s3://"):
        endpoint = os.environ["STRATA_TEST_S3_ENDPOINT"]
        scheme, host = endpoint.split("://", 1)
        fs = pafs.S3FileSystem(
            access_key=os.environ["STRATA_TEST_S3_ACCESS_KEY_ID"],
            secret_key=os.environ["STRATA_TEST_S3_SECRET_ACCESS_KEY"],
            region=os.environ.get("STRATA_TEST_S3_REGION", "us-east-1"),
            endpoint_override=host,
            scheme=scheme,
        )
        return fs, url[len("s3://"):]
    sys.exit(f"unsupported location {url!r}: use file:///DIR or s3://BUCKET/PREFIX")


def main():
    fs, root = open_location(sys.argv[1])
    selector = pafs.FileSelector(root, recursive=True, allow_not_found=True)
    files = []
    for info in sorted(fs.get_file_info(selector), key=lambda i: i.path):
        if info.type != pafs.FileType.File or not info.path.endswith(".parquet"):
            continue
        with fs.open_input_file(info.path) as f:
            parquet = pq.ParquetFile(f)
            metadata = parquet.metadata
            table = parquet.read()
        group = metadata.row_group(0) if metadata.num_row_groups else None
        sorted_by = [
            table.schema.field(c.column_index).name for c in (group.sorting_columns if group else [])
        ]
        statistics = bool(group) and all(
            group.column(i).is_stats_set for i in range(group.num_columns)
        )
        columns = [
            {
                "name": field.name,
                "type": str(field.type),
                "column_type": (field.metadata or {}).get(b"iox::column::type", b"").decode(),
            }
            for field in table.schema
        ]
        if "time" in table.column_names:
            index = table.column_names.index("time")
            table = table.set_column(index, "time", table.column("time").cast(pa.int64()))
        files.append(
            {
                "path": info.path[len(root):].lstrip("/"),
                "columns": columns,
                "sorted_by": sorted_by,
                "statistics": statistics,
                "rows": table.to_pylist(),
            }
        )
    json.dump(files, sys.stdout)


main()
