//! placeholder
use super::Family;
pub(super) static FAMILIES: &[&dyn Family] = &[];
