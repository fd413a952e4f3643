//! What buffered batches really take in memory.
//!
//! Arrow's `get_array_memory_size` adds up the capacity of every buffer each array points at,
//! so arrays that share one allocation (the columns of a batch read back from the WAL all point
//! into the message they were decoded from) are counted once per column, and a builder's spare
//! capacity counts as data. Here each allocation is counted once, whatever points at it, and
//! batches built from line protocol give their spare capacity back before they are buffered.

use std::collections::HashSet;

use arrow::array::Array;
use arrow::buffer::Buffer;
use arrow::record_batch::RecordBatch;

/// Bytes a batch holds besides its buffers: the structs of its arrays and its schema's fields.
const PER_COLUMN: usize = 256;

/// The memory the batch's allocations take, each counted once.
pub(crate) fn batch_bytes(batch: &RecordBatch) -> usize {
    let mut seen = HashSet::new();
    let mut bytes = 0;
    for column in batch.columns() {
        add_array(&column.to_data(), &mut seen, &mut bytes);
    }
    bytes + PER_COLUMN * batch.num_columns()
}

fn add_array(data: &arrow::array::ArrayData, seen: &mut HashSet<usize>, bytes: &mut usize) {
    for buffer in data.buffers() {
        add_buffer(buffer, seen, bytes);
    }
    if let Some(nulls) = data.nulls() {
        add_buffer(nulls.buffer(), seen, bytes);
    }
    for child in data.child_data() {
        add_array(child, seen, bytes);
    }
}

fn add_buffer(buffer: &Buffer, seen: &mut HashSet<usize>, bytes: &mut usize) {
    if seen.insert(buffer.data_ptr().as_ptr() as usize) {
        // Memory owned elsewhere (capacity 0) is still held while the buffer lives.
        *bytes += buffer.capacity().max(buffer.len());
    }
}

/// A batch whose arrays hold only their data: a builder doubles its buffers as it grows, so up
/// to half of a finished array's memory holds nothing.
pub(crate) fn shrink_batch(batch: RecordBatch) -> RecordBatch {
    let (schema, mut columns, _) = batch.into_parts();
    for column in &mut columns {
        // Only arrays this batch alone holds shrink; a shared one is left as it is.
        column.shrink_to_fit();
    }
    RecordBatch::try_new(schema, columns).expect("shrinking keeps every column")
}

#[cfg(test)]
mod tests {
    use arrow::array::{Float64Builder, Int64Array, StringDictionaryBuilder};
    use arrow::datatypes::{DataType, Field, Int32Type, Schema};
    use arrow::ipc::reader::StreamReader;
    use arrow::ipc::writer::StreamWriter;

    use std::sync::Arc;

    use super::*;

    fn batch(rows: usize) -> RecordBatch {
        let mut host = StringDictionaryBuilder::<Int32Type>::new();
        let mut usage = Float64Builder::new();
        for i in 0..rows {
            host.append_value(format!("host{}", i % 10));
            usage.append_value(i as f64);
        }
        let times = Int64Array::from_iter_values(0..rows as i64);
        RecordBatch::try_new(
            Arc::new(Schema::new(vec![
                Field::new(
                    "host",
                    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
                    true,
                ),
                Field::new("usage", DataType::Float64, true),
                Field::new("time", DataType::Int64, false),
            ])),
            vec![
                Arc::new(host.finish()),
                Arc::new(usage.finish()),
                Arc::new(times),
            ],
        )
        .unwrap()
    }

    #[test]
    fn a_shrunk_batch_holds_about_its_data() {
        let rows = 3000;
        let built = batch(rows);
        let shrunk = shrink_batch(batch(rows));
        assert_eq!(shrunk, built);
        // Keys (4 bytes), values and times (8 bytes each) a row, and ten short strings.
        let data = rows * (4 + 8 + 8);
        let counted = batch_bytes(&shrunk);
        assert!(
            counted >= data && counted < data + 4096,
            "{counted} bytes for {data} bytes of data"
        );
        assert!(
            batch_bytes(&built) > counted + data / 4,
            "builders leave spare capacity"
        );
        let shared = built.clone();
        assert_eq!(
            batch_bytes(&shrink_batch(shared)),
            batch_bytes(&built),
            "arrays another batch holds too are left as they are"
        );
    }

    #[test]
    fn columns_sharing_one_allocation_count_it_once() {
        let original = shrink_batch(batch(3000));
        let mut ipc = Vec::new();
        let mut writer = StreamWriter::try_new(&mut ipc, &original.schema()).unwrap();
        writer.write(&original).unwrap();
        writer.finish().unwrap();
        drop(writer);
        let read: Vec<RecordBatch> = StreamReader::try_new(ipc.as_slice(), None)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let read = &read[0];
        assert_eq!(read, &original);
        let counted = batch_bytes(read);
        assert!(
            counted < ipc.len() + 4096,
            "{counted} bytes counted for a batch read from a {}-byte message",
            ipc.len()
        );
        assert!(
            read.get_array_memory_size() > 2 * counted,
            "Arrow counts the shared message once per column"
        );
    }
}
