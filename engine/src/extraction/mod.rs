//! Extraction: rows, GSM8K answers and Python programs into graphs; graphs printed as Python.

pub mod gsm8k;
pub mod printer;
pub mod problem;
pub mod python;
mod python_fast;
pub mod text_numbers;
