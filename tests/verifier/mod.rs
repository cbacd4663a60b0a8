mod adversarial;
mod cli;
mod common;
mod humaneval;
mod modes;
