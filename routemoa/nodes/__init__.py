"""Graph nodes: thin async adapters between state and the pure logic modules."""
