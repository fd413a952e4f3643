//! Client for Strata's APIs.
