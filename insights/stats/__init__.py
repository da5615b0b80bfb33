"""Pure statistics of the client-insights engine: numpy, pandas and scikit-learn, no Django.

Arrays and DataFrames in, arrays and DataFrames out, an explicit ``as_of`` everywhere.
``features`` turns order lines into one row per client; ``segments`` clusters those rows and
names the clusters; ``churn`` fits and scores P(no order in the next 90 days); ``territory``
sums each territory's or province's figures and scores, ranks and tiers them.
"""
