//! TEMPORARY STUB (replaced by the real loader).
use super::Config;
#[derive(Debug)]
pub struct ConfigError(pub String);
impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for ConfigError {}
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<String>,
}
pub fn load(_path: &std::path::Path) -> Result<Loaded, ConfigError> {
    Err(ConfigError("stub".into()))
}
pub fn load_str(_t: &str, _f: &str, _e: &[(String, String)]) -> Result<Loaded, ConfigError> {
    Err(ConfigError("stub".into()))
}
