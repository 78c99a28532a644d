"""The customer journey: funnels, stages, transitions and what drives them."""
