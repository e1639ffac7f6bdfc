"""Unit tests of the support code the other tests share."""
