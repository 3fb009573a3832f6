"""The case page's papers: adding them, downloading them, sharing and un-sharing them."""
