"""Cross-sell propensity: who will start buying a family they do not buy yet.

``stats/`` holds the pure statistics (numpy, pandas, scikit-learn; no Django): the replayed
labels, the features, the candidate models, the baselines and the figures. The rest is the
product around them: the stored model and its settings (``models``), reading the crm records
(``selectors``), the refit-and-publish run (``services``), its Celery task, the alert kind
``cross_sell`` with its narrative in words, the admin, and the client-page card.
"""
