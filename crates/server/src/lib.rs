//! kwm-server (in progress)
