//! kwm-monitor (in progress)
