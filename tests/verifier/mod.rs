mod adversarial;
mod common;
mod modes;
