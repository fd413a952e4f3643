//! The write-ahead log: a write is acknowledged only after its record is fsync'd.
//!
//! One thread owns the log. Writers hand it records through a channel; it takes every record
//! waiting, writes them with one `write` and one `fdatasync` (group commit), appends their
//! batches to the buffer, then answers each writer. Records live in numbered segment files
//! (`wal/00000000000000000001.wal`); rotating starts a new segment and freezes the buffer's
//! generation for the old one, which is deleted once its rows are in registered Parquet files.
//!
//! A segment is a 16-byte header (`STRATA-WAL` and a format version) followed by records:
//! `length: u32 LE | crc32 of payload: u32 LE | payload`. A payload is the database id
//! (`i64 LE`), the number of tables (`u32 LE`) and per table its id (`i64 LE`), the length
//! (`u32 LE`) and bytes of an Arrow IPC stream holding its rows. A record larger than replay
//! reads ([`MAX_RECORD`]) is refused before it is written, so nothing acknowledged is ever
//! taken for corruption on replay.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;
use arrow::record_batch::RecordBatch;
use strata_types::{Error, ErrorKind, Result};
use tokio::sync::{mpsc, oneshot};

use crate::buffer::{Buffer, Generation};

const MAGIC: &[u8; 16] = b"STRATA-WAL\0\0\0\0\0\x01";
/// The largest record written, and accepted on replay (anything larger there is corruption).
const MAX_RECORD: usize = 1 << 31;
/// How many bytes of records one group commit writes at most.
const MAX_GROUP_BYTES: usize = 64 << 20;

/// The rows of one write, per table.
pub(crate) struct WalRecord {
    pub database_id: i64,
    pub tables: Vec<WalTable>,
}

pub(crate) struct WalTable {
    pub table_id: i64,
    pub batch: RecordBatch,
    /// The batch as an Arrow IPC stream.
    pub ipc: Vec<u8>,
    /// Whether no point is in the batch twice ([`crate::stats::points_unique`]).
    pub points_unique: bool,
}

/// A batch as an Arrow IPC stream (schema, dictionaries, rows).
pub(crate) fn encode_ipc(batch: &RecordBatch) -> Result<Vec<u8>> {
    let mut ipc = Vec::with_capacity(batch.get_array_memory_size() + 1024);
    let mut writer = StreamWriter::try_new(&mut ipc, &batch.schema()).map_err(internal)?;
    writer.write(batch).map_err(internal)?;
    writer.finish().map_err(internal)?;
    drop(writer);
    Ok(ipc)
}

impl WalRecord {
    /// Appends the record to `out`, or refuses (`TooLarge`, nothing appended) a record whose
    /// payload is over `max_record` bytes: replay would take it for corruption.
    fn encode_into(&self, out: &mut Vec<u8>, max_record: usize) -> Result<()> {
        let len = self
            .tables
            .iter()
            .fold(12usize, |len, t| len.saturating_add(12 + t.ipc.len()));
        let (Ok(len32), Ok(tables)) = (u32::try_from(len), u32::try_from(self.tables.len())) else {
            return Err(too_large(len, max_record));
        };
        if len > max_record {
            return Err(too_large(len, max_record));
        }
        let start = out.len();
        out.extend_from_slice(&len32.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&self.database_id.to_le_bytes());
        out.extend_from_slice(&tables.to_le_bytes());
        for table in &self.tables {
            // Each table's bytes are part of `len`, so fit a u32 too.
            let ipc_len = u32::try_from(table.ipc.len()).expect("bounded by the record's length");
            out.extend_from_slice(&table.table_id.to_le_bytes());
            out.extend_from_slice(&ipc_len.to_le_bytes());
            out.extend_from_slice(&table.ipc);
        }
        let crc = crc32fast::hash(&out[start + 8..]);
        out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
        Ok(())
    }
}

fn too_large(len: usize, max_record: usize) -> Error {
    Error::new(
        ErrorKind::TooLarge,
        format!(
            "the write's rows take {len} bytes in the write-ahead log, more than the {max_record} one write may; send it in smaller requests"
        ),
    )
}

enum Command {
    Append {
        record: WalRecord,
        reply: oneshot::Sender<Result<()>>,
    },
    Rotate {
        reply: oneshot::Sender<Result<Option<Arc<Generation>>>>,
    },
}

/// The handle writers and the persister use; cheap to clone.
#[derive(Clone)]
pub(crate) struct Wal {
    commands: mpsc::Sender<Command>,
    dir: PathBuf,
}

impl Wal {
    /// Starts the log thread writing a new segment `segment` in `dir`.
    pub(crate) fn start(dir: &Path, segment: i64, buffer: Arc<Buffer>) -> Result<Wal> {
        Self::start_with_limit(dir, segment, buffer, MAX_RECORD)
    }

    /// [`Wal::start`], refusing records over `max_record` bytes (at most [`MAX_RECORD`]).
    fn start_with_limit(
        dir: &Path,
        segment: i64,
        buffer: Arc<Buffer>,
        max_record: usize,
    ) -> Result<Wal> {
        let file = create_segment(dir, segment)?;
        let (commands, receiver) = mpsc::channel(4096);
        let mut writer = Writer {
            dir: dir.to_path_buf(),
            segment,
            file,
            buffer,
            failed: None,
            max_record: max_record.min(MAX_RECORD),
        };
        std::thread::Builder::new()
            .name("strata-wal".into())
            .spawn(move || writer.run(receiver))
            .map_err(|e| Error::internal(format!("cannot start the WAL thread: {e}")))?;
        Ok(Wal {
            commands,
            dir: dir.to_path_buf(),
        })
    }

    /// Appends a record; returns once it is durable and its rows are in the buffer.
    pub(crate) async fn append(&self, record: WalRecord) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Append { record, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Starts a new segment and returns the buffer generation of the old one (`None` when it
    /// held no rows).
    pub(crate) async fn rotate(&self) -> Result<Option<Arc<Generation>>> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Rotate { reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Deletes every segment up to and including `segment`.
    pub(crate) fn delete_through(&self, segment: i64) -> Result<()> {
        for (number, path) in list_segments(&self.dir)? {
            if number <= segment {
                fs::remove_file(&path).map_err(|e| io_error("delete", &path, e))?;
            }
        }
        Ok(())
    }
}

struct Writer {
    dir: PathBuf,
    segment: i64,
    file: File,
    buffer: Arc<Buffer>,
    /// Set when a write or fsync failed: the file's tail is unknown, so nothing more is
    /// acknowledged until the server restarts (and replay truncates the tail).
    failed: Option<String>,
    max_record: usize,
}

impl Writer {
    fn run(&mut self, mut receiver: mpsc::Receiver<Command>) {
        let mut staged = Vec::with_capacity(1 << 20);
        let mut group = Vec::new();
        while let Some(first) = receiver.blocking_recv() {
            let mut next = Some(first);
            while let Some(command) = next.take() {
                match command {
                    Command::Append { record, reply } => {
                        match record.encode_into(&mut staged, self.max_record) {
                            Ok(()) => group.push((record, reply)),
                            Err(refused) => {
                                let _ = reply.send(Err(refused));
                            }
                        }
                    }
                    Command::Rotate { reply } => {
                        self.commit(&mut staged, &mut group);
                        let _ = reply.send(self.rotate());
                    }
                }
                if staged.len() < MAX_GROUP_BYTES {
                    next = receiver.try_recv().ok();
                }
            }
            self.commit(&mut staged, &mut group);
        }
    }

    /// Writes and fsyncs the staged records, applies them to the buffer and answers.
    fn commit(
        &mut self,
        staged: &mut Vec<u8>,
        group: &mut Vec<(WalRecord, oneshot::Sender<Result<()>>)>,
    ) {
        if group.is_empty() {
            return;
        }
        let result = match &self.failed {
            Some(reason) => Err(reason.clone()),
            None => self
                .file
                .write_all(staged)
                .and_then(|()| self.file.sync_data())
                .map_err(|e| format!("writing the WAL failed: {e}")),
        };
        staged.clear();
        match result {
            Ok(()) => {
                for (record, reply) in group.drain(..) {
                    for table in record.tables {
                        self.buffer.append(
                            (record.database_id, table.table_id),
                            table.batch,
                            table.points_unique,
                        );
                    }
                    let _ = reply.send(Ok(()));
                }
            }
            Err(reason) => {
                tracing::error!(error = %reason, "the WAL cannot be written; writes are refused until restart");
                self.failed = Some(reason.clone());
                for (_, reply) in group.drain(..) {
                    let _ = reply.send(Err(Error::unavailable(
                        "the server cannot make writes durable right now (its WAL cannot be written); try again later",
                    )));
                }
            }
        }
    }

    fn rotate(&mut self) -> Result<Option<Arc<Generation>>> {
        if let Some(reason) = &self.failed {
            return Err(Error::internal(reason.clone()));
        }
        if self.buffer.active_is_empty() {
            return Ok(None);
        }
        let next = self.segment + 1;
        let file = create_segment(&self.dir, next)?;
        self.file = file;
        self.segment = next;
        Ok(self.buffer.freeze(next))
    }
}

fn segment_path(dir: &Path, segment: i64) -> PathBuf {
    dir.join(format!("{segment:020}.wal"))
}

/// Creates a segment with its header, durably (file and directory entry).
fn create_segment(dir: &Path, segment: i64) -> Result<File> {
    fs::create_dir_all(dir).map_err(|e| io_error("create", dir, e))?;
    let path = segment_path(dir, segment);
    let mut file = OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(&path)
        .map_err(|e| io_error("create", &path, e))?;
    file.write_all(MAGIC)
        .and_then(|()| file.sync_all())
        .map_err(|e| io_error("write", &path, e))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error("sync", dir, e))?;
    Ok(file)
}

/// The segments in `dir`, oldest first.
pub(crate) fn list_segments(dir: &Path) -> Result<Vec<(i64, PathBuf)>> {
    let mut segments = Vec::new();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(segments),
        Err(e) => return Err(io_error("read", dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| io_error("read", dir, e))?;
        let name = entry.file_name();
        let Some(number) = name
            .to_str()
            .and_then(|n| n.strip_suffix(".wal"))
            .and_then(|n| n.parse::<i64>().ok())
        else {
            continue;
        };
        segments.push((number, entry.path()));
    }
    segments.sort();
    Ok(segments)
}

/// A record read back from a segment.
pub(crate) struct ReplayedRecord {
    pub database_id: i64,
    pub tables: Vec<(i64, Vec<RecordBatch>)>,
}

/// Reads a segment's records. A torn or corrupt tail (a write that was never acknowledged,
/// cut short by a crash) ends the segment: when `truncate` is set the file is cut back to
/// its last whole record, otherwise the tail is an error.
pub(crate) fn read_segment(path: &Path, truncate: bool) -> Result<Vec<ReplayedRecord>> {
    let mut data = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut data))
        .map_err(|e| io_error("read", path, e))?;
    if data.len() < MAGIC.len() || &data[..MAGIC.len()] != MAGIC {
        if truncate && data.len() < MAGIC.len() && MAGIC.starts_with(&data) {
            // Crashed while creating the segment: it holds no record.
            return Ok(Vec::new());
        }
        return Err(Error::internal(format!(
            "{} is not a Strata WAL segment (its header is wrong)",
            path.display()
        )));
    }
    let mut records = Vec::new();
    let mut pos = MAGIC.len();
    while pos < data.len() {
        match decode_record(&data[pos..]) {
            Some((record, used)) => {
                records.push(record);
                pos += used;
            }
            None if truncate => {
                tracing::warn!(
                    segment = %path.display(),
                    offset = pos,
                    dropped_bytes = data.len() - pos,
                    "the WAL ends with an incomplete record (a write cut short by a crash, never acknowledged); truncating it"
                );
                OpenOptions::new()
                    .write(true)
                    .open(path)
                    .and_then(|f| {
                        f.set_len(pos as u64)?;
                        f.sync_all()
                    })
                    .map_err(|e| io_error("truncate", path, e))?;
                break;
            }
            None => {
                return Err(Error::internal(format!(
                    "{} has a corrupt record at byte {pos}; the WAL cannot be replayed",
                    path.display()
                )));
            }
        }
    }
    Ok(records)
}

/// One record from the start of `data` and the bytes it used, or `None` when it is torn or
/// corrupt.
fn decode_record(data: &[u8]) -> Option<(ReplayedRecord, usize)> {
    let len = u32::from_le_bytes(data.get(0..4)?.try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(data.get(4..8)?.try_into().ok()?);
    if len > MAX_RECORD {
        return None;
    }
    let payload = data.get(8..8 + len)?;
    if crc32fast::hash(payload) != crc {
        return None;
    }
    let database_id = i64::from_le_bytes(payload.get(0..8)?.try_into().ok()?);
    let count = u32::from_le_bytes(payload.get(8..12)?.try_into().ok()?) as usize;
    let mut pos = 12;
    let mut tables = Vec::with_capacity(count.min(1024));
    for _ in 0..count {
        let table_id = i64::from_le_bytes(payload.get(pos..pos + 8)?.try_into().ok()?);
        let ipc_len = u32::from_le_bytes(payload.get(pos + 8..pos + 12)?.try_into().ok()?) as usize;
        let ipc = payload.get(pos + 12..pos + 12 + ipc_len)?;
        pos += 12 + ipc_len;
        let reader = StreamReader::try_new(ipc, None).ok()?;
        let batches = reader.collect::<Result<Vec<_>, _>>().ok()?;
        tables.push((table_id, batches));
    }
    Some((
        ReplayedRecord {
            database_id,
            tables,
        },
        8 + len,
    ))
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::internal(format!("encoding a WAL record failed: {e}"))
}

fn stopped() -> Error {
    Error::unavailable("the server is shutting down; try the write again")
}

fn io_error(action: &str, path: &Path, e: io::Error) -> Error {
    Error::internal(format!("cannot {action} {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, RecordBatch};
    use arrow::datatypes::{DataType, Field, Schema};

    fn batch(values: &[i64]) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Int64, false)]));
        RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(values.to_vec()))]).unwrap()
    }

    fn record(database_id: i64, values: &[i64]) -> WalRecord {
        WalRecord {
            database_id,
            tables: vec![WalTable {
                table_id: 7,
                ipc: encode_ipc(&batch(values)).unwrap(),
                batch: batch(values),
                points_unique: false,
            }],
        }
    }

    #[test]
    fn records_round_trip_and_a_torn_tail_is_truncated() {
        let dir = tempfile::tempdir().unwrap();
        let path = segment_path(dir.path(), 1);
        let mut file = create_segment(dir.path(), 1).unwrap();
        let mut bytes = Vec::new();
        record(1, &[1, 2, 3])
            .encode_into(&mut bytes, MAX_RECORD)
            .unwrap();
        record(2, &[4]).encode_into(&mut bytes, MAX_RECORD).unwrap();
        let whole = bytes.len();
        record(3, &[5, 6])
            .encode_into(&mut bytes, MAX_RECORD)
            .unwrap();
        // A crash in the middle of the third record.
        file.write_all(&bytes[..whole + 11]).unwrap();
        drop(file);

        assert!(
            read_segment(&path, false).is_err(),
            "a torn tail is an error unless truncating"
        );
        let records = read_segment(&path, true).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].database_id, 1);
        assert_eq!(records[0].tables[0].0, 7);
        assert_eq!(records[0].tables[0].1, vec![batch(&[1, 2, 3])]);
        assert_eq!(records[1].tables[0].1, vec![batch(&[4])]);
        assert_eq!(
            fs::metadata(&path).unwrap().len() as usize,
            MAGIC.len() + whole,
            "the torn record was cut off"
        );
        assert_eq!(read_segment(&path, false).unwrap().len(), 2);
    }

    #[test]
    fn a_flipped_bit_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let path = segment_path(dir.path(), 1);
        let mut file = create_segment(dir.path(), 1).unwrap();
        let mut bytes = Vec::new();
        record(1, &[1, 2, 3])
            .encode_into(&mut bytes, MAX_RECORD)
            .unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        file.write_all(&bytes).unwrap();
        assert!(read_segment(&path, false).is_err());
        assert!(read_segment(&path, true).unwrap().is_empty());
    }

    #[test]
    fn a_file_that_is_not_a_segment_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("00000000000000000001.wal");
        fs::write(&path, b"hello world, this is not a wal").unwrap();
        let error = read_segment(&path, true).err().unwrap();
        assert!(
            error.message.contains("not a Strata WAL segment"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn appends_reach_the_buffer_and_rotation_freezes_them() {
        let dir = tempfile::tempdir().unwrap();
        let buffer = Arc::new(Buffer::new(1));
        let wal = Wal::start(dir.path(), 1, buffer.clone()).unwrap();
        let mut tasks = Vec::new();
        for i in 0..50 {
            let wal = wal.clone();
            tasks.push(tokio::spawn(
                async move { wal.append(record(1, &[i])).await },
            ));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(buffer.table((1, 7)).batches.len(), 50);
        let frozen = wal.rotate().await.unwrap().expect("rows were buffered");
        assert_eq!(frozen.segment, 1);
        assert_eq!(frozen.rows(), 50);
        assert!(
            wal.rotate().await.unwrap().is_none(),
            "nothing new was written"
        );
        let segments = list_segments(dir.path()).unwrap();
        assert_eq!(segments.iter().map(|s| s.0).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(read_segment(&segments[0].1, false).unwrap().len(), 50);
        wal.delete_through(1).unwrap();
        assert_eq!(list_segments(dir.path()).unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_record_larger_than_replay_reads_is_refused_before_the_ack() {
        let dir = tempfile::tempdir().unwrap();
        let buffer = Arc::new(Buffer::new(1));
        let big = record(1, &(0..1000).collect::<Vec<_>>());
        let mut encoded = Vec::new();
        big.encode_into(&mut encoded, MAX_RECORD).unwrap();
        let limit = encoded.len() - 9;
        let wal = Wal::start_with_limit(dir.path(), 1, buffer.clone(), limit).unwrap();
        let refused = wal.append(big).await.unwrap_err();
        assert_eq!(refused.kind, ErrorKind::TooLarge);
        assert!(
            refused.message.contains("send it in smaller requests"),
            "{refused}"
        );
        assert!(
            buffer.table((1, 7)).batches.is_empty(),
            "nothing was acknowledged"
        );
        // The log carries on, and replays exactly what it acknowledged.
        wal.append(record(1, &[1, 2])).await.unwrap();
        let segments = list_segments(dir.path()).unwrap();
        let replayed = read_segment(&segments[0].1, false).unwrap();
        assert_eq!(replayed.len(), 1);
        assert_eq!(replayed[0].tables[0].1, vec![batch(&[1, 2])]);
    }
}
