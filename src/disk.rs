//! What the disk under a folder has free, for the free-space guard: `statvfs(3)`, the space
//! an unprivileged process may still fill (`f_bavail × f_frsize`, what `df` calls "Avail").

use std::path::Path;

/// The bytes free for unprivileged writes on the file system holding `folder`.
pub(crate) fn free_bytes(folder: &Path) -> Result<i64, std::io::Error> {
    let stats = nix::sys::statvfs::statvfs(folder).map_err(std::io::Error::from)?;
    let bytes = u128::from(stats.blocks_available()) * u128::from(stats.fragment_size());
    Ok(i64::try_from(bytes).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_has_some_free_space_and_a_missing_one_is_an_error() {
        let dir = std::env::temp_dir();
        assert!(free_bytes(&dir).unwrap() > 0);
        let err = free_bytes(Path::new("/nonexistent/qbitrr-lite/free-space")).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    }
}
