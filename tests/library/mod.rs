//! Library modules in process, with real I/O: the OpenAI backend against the fake server on
//! loopback, and the plots written as PNG files.

mod openai_backend;
mod plot;
