"""The SEN2 extract: the person-level items the portal holds, in the DfE's SEN2 terms."""
