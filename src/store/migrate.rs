//! Rewrites of what older writers left, on request: the files ByteHot's pure-Java adapter
//! wrote with versions that do not follow their place (it stamped version 1 on every
//! event of a session). Reads already serve such files at the version their place gives
//! them; a rewrite makes the file say so too, so that queries by type and time (which
//! return files as they are) and other readers agree.

use crate::error::{Error, Result};
use crate::file::{lock, lock_dir};

use super::EventStore;
use super::files::{Staged, jackson_printed, parse_event_file};

impl EventStore {
    /// [`Self::rewrite_legacy_versions`] of every aggregate of the store; returns how many
    /// files were rewritten. `progress` hears of each aggregate done (done, total).
    pub fn rewrite_all_legacy_versions(&self, mut progress: impl FnMut(u64, u64)) -> Result<u64> {
        self.check_writable()?;
        let mut keys = Vec::new();
        for aggregate_type in self.aggregate_types()? {
            for aggregate_id in self.aggregate_ids(&aggregate_type)? {
                keys.push((aggregate_type.clone(), aggregate_id));
            }
        }
        let mut rewritten = 0;
        for (done, (aggregate_type, aggregate_id)) in keys.iter().enumerate() {
            rewritten += self.rewrite_legacy_versions(aggregate_type, aggregate_id)?;
            progress(done as u64 + 1, keys.len() as u64);
        }
        if rewritten > 0 {
            log::info!(
                "{}: rewrote {rewritten} files of ByteHot's adapter at the versions their places give them",
                self.base.display()
            );
        }
        Ok(rewritten)
    }

    /// Rewrites each event file of one aggregate that ByteHot's adapter wrote with a
    /// version other than its place's, in this library's format and with that version;
    /// returns how many were rewritten. Each file is synced, then renamed over the old one
    /// under the aggregate's lock, and the directory synced at the end, whatever the
    /// durability mode (this replaces the only copy of an event): run again after a
    /// crash, it finishes the job.
    pub fn rewrite_legacy_versions(&self, aggregate_type: &str, aggregate_id: &str) -> Result<u64> {
        self.check_writable()?;
        let key = (aggregate_type.to_string(), aggregate_id.to_string());
        let state = self.state(&key);
        let mut state = lock(&state);
        self.refresh(&key, &mut state)?;
        let Some(dir) = state.dir.clone().filter(|d| d.is_dir()) else {
            return Ok(0);
        };
        let _exclusive = lock_dir(&dir)?;
        self.refresh_locked(&key, &mut state)?;
        let mut rewritten = 0;
        // Segments hold only lines this library wrote.
        for known in state.entries.iter().filter(|known| known.at.is_none()) {
            let path = dir.join(&known.name);
            let bytes = self.io.read(&path);
            if bytes.as_ref().is_ok_and(|bytes| !jackson_printed(bytes)) {
                continue;
            }
            let (mut event, _) = parse_event_file(&path, bytes)?;
            if event.metadata.aggregate_version == known.version {
                continue;
            }
            event.metadata.aggregate_version = known.version;
            // The new bytes are synced before they replace the only copy of the event: a
            // power loss must leave the old file or the new one, never an empty one.
            let mut staged = Staged::default();
            let tmp = dir.join(self.tmp_name(&known.name));
            staged.push(tmp.clone());
            self.io
                .create_and_write(&tmp, &event.to_file_json())
                .and_then(|file| self.io.sync_file(&file))
                .map_err(|e| Error::io("rewrite", &path, e))?;
            staged.rename_next(&*self.io, &path)?;
            rewritten += 1;
        }
        if rewritten > 0 {
            // fsync the folder: the renames are durable only once the directory is.
            self.sync_directory(&dir)?;
        }
        Ok(rewritten)
    }
}
