"""Matrix products, decompositions and distances."""
