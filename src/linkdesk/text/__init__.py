"""Text handling: parsing drafts into offset-exact documents, and token normalization."""
