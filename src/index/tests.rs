//! Tests of the index client against the hermetic local index.
