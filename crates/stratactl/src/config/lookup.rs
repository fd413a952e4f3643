//! Which config file and which profile a command uses when no flag says: stratactl's own
//! variables and file first, then influxctl's, so a machine set up for influxctl works as it
//! is.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::anyhow;

use crate::cli::GlobalArgs;

/// influxctl's variable naming the profile (read after `STRATACTL_PROFILE`).
pub const INFLUXCTL_PROFILE: &str = "INFLUXCTL_PROFILE";

/// The config files read when `--config` and `STRATACTL_CONFIG` are not given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultFiles {
    /// `CONFIG_DIR/stratactl/config.toml`, read when it exists.
    pub stratactl: PathBuf,
    /// `CONFIG_DIR/influxctl/config.toml`, where influxctl keeps its profiles on Linux; read
    /// when stratactl's does not exist.
    pub influxctl: PathBuf,
}

impl DefaultFiles {
    /// Both files under the user's config directory (see [`config_dir`]).
    pub fn from_env() -> anyhow::Result<Self> {
        let dir = config_dir(
            std::env::var_os("XDG_CONFIG_HOME"),
            std::env::var_os("HOME"),
        )
        .ok_or_else(|| {
            anyhow!("neither XDG_CONFIG_HOME nor HOME is set, so there is no default config file; pass --config PATH or set STRATACTL_CONFIG")
        })?;
        Ok(Self::under(&dir))
    }

    fn under(dir: &Path) -> Self {
        Self {
            stratactl: dir.join("stratactl/config.toml"),
            influxctl: dir.join("influxctl/config.toml"),
        }
    }

    /// The first of stratactl's and influxctl's files that `exists`; `None` when neither does.
    pub fn pick(&self, exists: impl Fn(&Path) -> bool) -> Option<&Path> {
        [&self.stratactl, &self.influxctl]
            .into_iter()
            .map(PathBuf::as_path)
            .find(|path| exists(path))
    }
}

/// Whether a file is there to read. Only a definite "not found" counts as absent, so a file
/// that cannot be checked (a directory without permission) is read and its error reported,
/// rather than silently passed over for influxctl's.
pub fn present(path: &Path) -> bool {
    !matches!(path.try_exists(), Ok(false))
}

/// `$XDG_CONFIG_HOME` when it is an absolute path, else `$HOME/.config`: where Go's
/// `os.UserConfigDir` (so influxctl) looks on Linux. A relative `XDG_CONFIG_HOME` is ignored,
/// as the XDG spec says (and as the login cache does with `XDG_CACHE_HOME`).
fn config_dir(xdg: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    if let Some(xdg) = xdg.map(PathBuf::from)
        && xdg.is_absolute()
    {
        return Some(xdg);
    }
    home.filter(|h| !h.is_empty())
        .map(|home| PathBuf::from(home).join(".config"))
}

/// The profile's name: `--profile`, else `STRATACTL_PROFILE` (clap reads both), else
/// `INFLUXCTL_PROFILE`, else `default`.
pub fn profile_name(global: &GlobalArgs) -> String {
    choose_profile(
        global.profile.as_deref(),
        std::env::var(INFLUXCTL_PROFILE).ok().as_deref(),
    )
}

/// An empty value counts as unset: a variable exported empty names no profile.
fn choose_profile(ours: Option<&str>, influxctl: Option<&str>) -> String {
    [ours, influxctl]
        .into_iter()
        .flatten()
        .find(|name| !name.is_empty())
        .unwrap_or("default")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_dir_prefers_an_absolute_xdg_config_home() {
        let dir = |xdg: Option<&str>, home: Option<&str>| {
            config_dir(xdg.map(OsString::from), home.map(OsString::from))
        };
        assert_eq!(dir(Some("/xdg"), Some("/home/u")), Some("/xdg".into()));
        assert_eq!(dir(None, Some("/home/u")), Some("/home/u/.config".into()));
        assert_eq!(
            dir(Some(""), Some("/home/u")),
            Some("/home/u/.config".into())
        );
        assert_eq!(
            dir(Some("relative"), Some("/home/u")),
            Some("/home/u/.config".into())
        );
        assert_eq!(dir(Some("/xdg"), None), Some("/xdg".into()));
        assert_eq!(dir(None, Some("")), None);
        assert_eq!(dir(None, None), None);
    }

    #[test]
    fn stratactl_file_first_then_influxctl() {
        let files = DefaultFiles::under(Path::new("/c"));
        assert_eq!(files.stratactl, Path::new("/c/stratactl/config.toml"));
        assert_eq!(files.influxctl, Path::new("/c/influxctl/config.toml"));
        assert_eq!(files.pick(|_| true), Some(files.stratactl.as_path()));
        assert_eq!(
            files.pick(|p| p == files.influxctl),
            Some(files.influxctl.as_path())
        );
        assert_eq!(files.pick(|_| false), None);
    }

    #[test]
    fn profile_precedence() {
        assert_eq!(choose_profile(Some("a"), Some("b")), "a");
        assert_eq!(choose_profile(None, Some("b")), "b");
        assert_eq!(choose_profile(Some(""), Some("b")), "b");
        assert_eq!(choose_profile(None, Some("")), "default");
        assert_eq!(choose_profile(None, None), "default");
    }
}
