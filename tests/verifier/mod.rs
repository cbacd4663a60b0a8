mod adversarial;
#[path = "../support/hostile_cheats.rs"]
mod cheats;
mod cli;
mod common;
mod confinement;
mod hostile;
mod humaneval;
mod modes;
