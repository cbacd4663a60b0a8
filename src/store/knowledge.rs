//! Consolidated knowledge: rules and procedures with provenance (filled in with consolidation).
