"""Small helpers with no Headwater concepts in them."""
