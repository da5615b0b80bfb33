"""Pure text statistics of the voice-of-the-client engine (no Django, no project apps).

- :mod:`.text`: normalising, tokenising and splitting comments into sentences;
- :mod:`.language`: Spanish/English detection from function words;
- :mod:`.lexicon` and :mod:`.sentiment`: polarity -1..+1 from a hand-built lexicon with
  negation ("no está mal", "not bad"), intensifiers and phrases;
- :mod:`.complaints`: complaint themes (late delivery, price, stock-out, defective, rude
  service, billing) and the complaint rule; monthly themes per territory;
- :mod:`.nps`: NPS categories, the NPS of a set of answers, and the category predicted from
  text and scores (TF-IDF + logistic regression) against a majority baseline;
- :mod:`.evaluate`: accuracy and macro-F1.

Everything here reads text and arrays and returns plain values; nothing is downloaded.
"""
