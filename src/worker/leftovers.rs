//! AutoDelete's part on the disk: after a confirmed import, the files of the torrent that the
//! file filters excluded (picked by `FileFilter::leftovers`: excluded, at priority 0, a path
//! that stays inside the torrent) are deleted, and the folders that this empties.
//!
//! Nothing outside the torrent's content folder is touched: each file's real folder (links
//! resolved) must lie inside the content folder's real path; a symbolic link is never
//! followed or deleted. It needs the daemon to see qBittorrent's paths (same machine, or the
//! same mounts); when the content folder is not found here, nothing is deleted and the caller
//! says so. There is no playability check (qBitrr asks ffprobe, which routers do not have):
//! the filters alone decide.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// qBittorrent's suffix for a file still being written ("Append .!qB to incomplete files").
const INCOMPLETE_SUFFIX: &str = ".!qB";

/// Why nothing could be deleted.
#[derive(Debug)]
pub(super) enum LeftoverError {
    /// The content folder is not on this machine (or not a folder).
    NoContentFolder {
        path: PathBuf,
        source: Option<io::Error>,
    },
}

impl fmt::Display for LeftoverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoContentFolder { path, source } => {
                write!(
                    f,
                    "content folder {} is not a folder on this machine{} (AutoDelete needs qBittorrent's \
                     paths to be visible here)",
                    path.display(),
                    source.as_ref().map(|e| format!(": {e}")).unwrap_or_default()
                )
            }
        }
    }
}

impl std::error::Error for LeftoverError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::NoContentFolder { source, .. } => source.as_ref().map(|e| e as _),
        }
    }
}

/// What was deleted, and what could not be.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Cleaned {
    pub(super) files: Vec<PathBuf>,
    pub(super) folders: Vec<PathBuf>,
    /// Paths left in place, and why.
    pub(super) kept: Vec<(PathBuf, String)>,
}

/// Deletes `names` (relative to `save_path`, as qBittorrent lists them) that lie inside
/// `content_path`, each also as its `.!qB` partial file, then the folders inside
/// `content_path` that this leaves empty. Files already gone are skipped quietly.
pub(super) fn delete_leftovers(
    save_path: &Path,
    content_path: &Path,
    names: &[&str],
) -> Result<Cleaned, LeftoverError> {
    let root = match fs::canonicalize(content_path) {
        Ok(root) if root.is_dir() => root,
        Ok(_) => {
            return Err(LeftoverError::NoContentFolder {
                path: content_path.to_path_buf(),
                source: None,
            })
        }
        Err(e) => {
            return Err(LeftoverError::NoContentFolder {
                path: content_path.to_path_buf(),
                source: Some(e),
            })
        }
    };
    let mut cleaned = Cleaned::default();
    let mut parents = Vec::new();
    for name in names {
        let listed = save_path.join(name);
        let mut partial = listed.clone().into_os_string();
        partial.push(INCOMPLETE_SUFFIX);
        for path in [listed, PathBuf::from(partial)] {
            match delete_inside(&root, &path) {
                Ok(Some(parent)) => {
                    cleaned.files.push(path);
                    parents.push(parent);
                }
                Ok(None) => {}
                Err(why) => cleaned.kept.push((path, why)),
            }
        }
    }
    // Innermost first, so a folder whose only content was an emptied folder goes too; equal
    // depths by path, so each folder is listed once.
    parents.sort_by(|a, b| {
        let depth = |p: &PathBuf| p.components().count();
        depth(b).cmp(&depth(a)).then_with(|| a.cmp(b))
    });
    parents.dedup();
    for parent in parents {
        let mut dir = parent;
        while dir != root && dir.starts_with(&root) {
            if fs::remove_dir(&dir).is_err() {
                break; // not empty (or not ours to remove): stop climbing
            }
            cleaned.folders.push(dir.clone());
            if !dir.pop() {
                break;
            }
        }
    }
    Ok(cleaned)
}

/// Deletes the regular file at `path` when its real folder lies inside `root`: `Ok(Some(real
/// folder))` when deleted, `Ok(None)` when there is nothing there, `Err(why)` when left.
fn delete_inside(root: &Path, path: &Path) -> Result<Option<PathBuf>, String> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    if !meta.file_type().is_file() {
        return Err("not a regular file (a link or a folder)".into());
    }
    let (Some(parent), Some(file_name)) = (path.parent(), path.file_name()) else {
        return Err("no parent folder".into());
    };
    let real_parent = fs::canonicalize(parent).map_err(|e| e.to_string())?;
    if !real_parent.starts_with(root) {
        return Err(format!("outside the content folder {}", root.display()));
    }
    fs::remove_file(real_parent.join(file_name)).map_err(|e| e.to_string())?;
    Ok(Some(real_parent))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        fs::write(path, b"x").expect("write");
    }

    #[test]
    fn deletes_listed_files_and_emptied_folders_inside_the_content_folder_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let save = dir.path().join("downloads");
        let content = save.join("Movie");
        touch(&content.join("Movie.mkv"));
        touch(&content.join("Movie.nfo"));
        touch(&content.join("Extras/Deep/clip.exe.!qB"));
        touch(&content.join("Sample/keep.mkv"));
        touch(&content.join("Sample/s.lnk"));
        touch(&save.join("Other/secret.txt"));
        // A link inside the torrent that points outside it.
        std::os::unix::fs::symlink(save.join("Other"), content.join("Escape")).expect("symlink");
        let names = [
            "Movie/Movie.nfo",
            "Movie/Extras/Deep/clip.exe",
            "Movie/Sample/s.lnk",
            "Movie/Escape/secret.txt",
            "Movie/never-downloaded.exe",
        ];
        let cleaned = delete_leftovers(&save, &content, &names).expect("content folder exists");
        assert!(content.join("Movie.mkv").exists());
        assert!(!content.join("Movie.nfo").exists());
        assert!(
            !content.join("Extras").exists(),
            "emptied folders go, innermost first"
        );
        assert!(content.join("Sample/keep.mkv").exists());
        assert!(!content.join("Sample/s.lnk").exists());
        assert!(
            save.join("Other/secret.txt").exists(),
            "never outside the content folder"
        );
        assert_eq!(cleaned.files.len(), 3);
        assert_eq!(cleaned.folders.len(), 2);
        assert_eq!(cleaned.kept.len(), 1, "{:?}", cleaned.kept);
        assert!(content.exists(), "the content folder itself stays");
    }

    #[test]
    fn a_content_folder_that_is_not_here_deletes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = delete_leftovers(dir.path(), &dir.path().join("gone"), &["gone/a.exe"]).unwrap_err();
        assert!(err.to_string().contains("not a folder on this machine"), "{err}");
        let file = dir.path().join("single.mkv");
        touch(&file);
        assert!(delete_leftovers(dir.path(), &file, &["single.mkv"]).is_err());
        assert!(file.exists());
    }
}
