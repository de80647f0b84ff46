"""Alert quality II: statements of fact stay neutral, social posts read at least as VADER reads them,
the register comes from the source type, and the threshold trades precision for recall."""

from __future__ import annotations

import json

import pytest

from pipeline.evaluate import evaluate_file, threshold_curve
from pipeline.learned import CALIBRATION_KEYS, MODEL_PATH, _read_model, load_model, register_score
from pipeline.registers import BY_SOURCE_TYPE, register_of
from pipeline.sentiment import SentimentScorer, plain_vader_label
from tests.conftest import run_cli
from tests.pipeline.test_sentiment import COMPLAINTS_VADER_MISSES


@pytest.fixture(scope="module")
def scorer():
    return SentimentScorer()


def alerts(scorer: SentimentScorer, texts: list[str], register: str) -> list[str]:
    """The texts that would raise an alert in ``register``: those read as negative."""
    return [t for t in texts if scorer.score(t, register=register).label == "negative"]


def read_otherwise(scorer: SentimentScorer, texts: list[str], register: str, label: str) -> list[str]:
    """The texts read in ``register`` as anything but ``label``."""
    return [t for t in texts if scorer.score(t, register=register).label != label]


# What a monitor of a small business reads every day and must not alert on.
STATEMENTS = [
    "Harbor Lane Bakery has a new seasonal menu this month.",
    "The city council approved the new bike lane on Main Street.",
    "We are open from 7 am to 3 pm, Tuesday through Sunday.",
    "The shop is closed on Mondays.",
    "Harbor Lane Bakery is at 214 Harbor Lane, next to the post office.",
    "The lunch menu lists soups, salads and three sandwiches.",
    "The planning board will review the building permit application on Thursday.",
    "The restaurant received a permit to add outdoor seating.",
    "Parking is available behind the building.",
    "The bakery moved to a new location on Elm Street last spring.",
    "Holiday hours will be posted on the website next week.",
    "The cafe accepts cash and cards.",
    "A new location is scheduled to open in March.",
    "The owner said the kitchen will be renovated in January.",
    "The shop moved two blocks north in March.",
    # a business's rules, in VADER's "no"
    "No dogs allowed.",
    "No reservations, walk-ins only.",
    "No appointment needed.",
    "There is no dress code.",
    "No cover charge on weekdays.",
    "Closed for the holidays.",
    # news of permits and licenses ("received" reads as a complaint word to the model alone)
    "The food truck received its permit after a two-month wait.",
    "The diner received a new liquor license after the sale.",
    "The city issued a building permit for the new bakery.",
    "The brewery applied for a liquor license.",
    "The owners are waiting on a permit to reopen.",
    "The salon got its license renewed last week.",
    "The kitchen stops taking orders 30 minutes before closing.",  # VADER: "stops" -1.2
]


@pytest.mark.parametrize("register", ["review", "news"])
def test_statements_of_fact_are_neutral(scorer, register):
    labels = {text: scorer.score(text, register=register).label for text in STATEMENTS}
    assert [t for t, label in labels.items() if label != "neutral"] == []


# A business's own posts, notices and ways of doing things, in words VADER reads as harm ("limited"
# -0.9, "charges" -1.1, "stopped" -0.9, "no", "pay" -0.4, "drop" -1.1, "cancel" -1.0, "crushed"
# -1.8, "bitters" -0.4, "fire" -1.4, "alarm" -1.4): no alert in any register; the same words in
# complaints stay complaints.
NOTICES = ["Pumpkin spice lattes are back for a limited time.", "Limited edition donuts this weekend only.",
           "The gym charges a $50 sign-up fee.", "They stopped serving breakfast at 11.",
           "No outside food or drinks.",
           "You have to pay at the counter.", "Order and pay at the register, then find a table.",
           "You can drop off your car the night before.", "They have a drop box for returns after hours.",
           "You can cancel your membership online.", "The hotel charges for parking.",
           "The plumber charges by the hour.", "They serve crushed ice with every drink.",
           "The cocktail menu uses house-made bitters.", "A fire alarm test is scheduled for Tuesday morning.",
           "The fire marshal inspected the kitchen last week.", "The bakery holds a fire drill every spring.",
           "The shop will stop carrying vinyl records next year."]
COMPLAINTS_IN_THE_NOTICES_WORDS = ["There were extra charges on my bill.", "The hotel charges a ridiculous resort fee.",
                                   "They stopped serving us and ignored our table.",
                                   "They made us pay at the counter and then ignored us for twenty minutes.",
                                   "The courier refused to drop off the package at my door.",
                                   "The drop box was full and my return was never processed.",
                                   "I can't cancel my subscription.", "The coffee was bitter and burnt.",
                                   "The drinks were mostly crushed ice and tasted watered down.",
                                   "The fire alarm went off twice during dinner.",
                                   "They violated the fire code and the exits were blocked.",
                                   "The fire department responded to a grease fire at the diner."]


@pytest.mark.parametrize("register", ["review", "news", "social"])
def test_a_business_s_notices_are_no_alert(scorer, register):
    assert [t for t in NOTICES if plain_vader_label(t) != "negative"] == []  # VADER's error
    assert read_otherwise(scorer, NOTICES, register, "neutral") == []
    assert read_otherwise(scorer, COMPLAINTS_IN_THE_NOTICES_WORDS, register, "negative") == []


@pytest.mark.parametrize("register", ["review", "news", "social"])
def test_complaints_in_words_vader_does_not_know_alert_in_every_register(scorer, register):
    """The domain lexicon's complaints ("We won't be coming back.", "Never got our drinks.") are
    evidence the model reads: each is negative at the register's default threshold."""
    labels = {text: scorer.score(text, register=register).label for text in COMPLAINTS_VADER_MISSES}
    assert [t for t, label in labels.items() if label != "negative"] == []


def test_a_statement_holds_no_evidence_but_a_complaint_does(scorer):
    """Neutral is the absence of evidence, not a topic: the same menu, judged, is an alert."""
    plain = scorer.score("Harbor Lane Bakery has a new seasonal menu this month.")
    judged = scorer.score("Harbor Lane Bakery has a new seasonal menu this month and it is awful.")
    assert (plain.label, plain.sentiment) == ("neutral", 0.0)
    assert judged.label == "negative"


COMPLAINTS = [
    "The food was cold and the waiter was rude.",
    "Terrible. Never again.",
    "We waited 40 minutes and the coffee was cold when it finally came.",
    "Save your money.",
    "The screen cracked the first day.",
    "Would not buy again.",
    "Customer service hung up on me twice.",
]


@pytest.mark.parametrize("register", ["review", "news"])
@pytest.mark.parametrize("text", COMPLAINTS)
def test_complaints_stay_negative_in_reviews_and_news(scorer, text, register):
    assert scorer.score(text, register=register).label == "negative"


# Orders and service gone wrong, in words VADER does not know (each read neutral before the domain
# lexicon gained their phrases).
SERVICE_FAILURES = [
    "They forgot half of our order.",
    "I was on hold for forty minutes.",
    "The app logs me out every time I open it.",
    "The room smelled of smoke.",
    "Nobody answered the phone for three days.",
    "The booking page keeps timing out.",
]


@pytest.mark.parametrize("register", ["review", "news", "social"])
def test_service_failures_are_complaints_in_every_register(scorer, register):
    assert read_otherwise(scorer, SERVICE_FAILURES, register, "negative") == []


# Short social posts: emoji, emoticons, slang, capitals, elongation, "but". Plain VADER reads
# each of them right; the scorer must too.
SOCIAL = [
    ("worst. service. EVER. 😡", "negative"),
    ("this place is sooo bad :(", "negative"),
    ("ugh, cold fries AGAIN", "negative"),
    ("the coffee is good but the staff is rude af", "negative"),
    ("not impressed at all tbh", "negative"),
    ("😭😭 my order never came", "negative"),
    ("idk what happened but the pizza is not the same anymore", "negative"),  # VADER: -0.05, at its edge
    ("Loved the brunch!!! 😍", "positive"),
    ("best tacos in town :)", "positive"),
    ("sooo good, will be back!", "positive"),
    ("LOVE this place ❤️", "positive"),
    ("lol the new menu is awesome", "positive"),
]


@pytest.mark.parametrize(("text", "expected"), SOCIAL)
def test_social_posts_read_as_well_as_plain_vader(scorer, text, expected):
    assert plain_vader_label(text) == expected  # VADER's own ground: the scorer must not lose it
    assert scorer.score(text, register="social").label == expected


# Food slang and idioms that praise, in words VADER reads as insults or harm (killer -3.3, sick -2.3,
# fire -1.4, die -2.9, killed -3.5, illegal -2.6, "never" flipping "better"): plain VADER calls each
# a complaint, an alert read for nothing.
FOOD_SLANG = ["killer brunch, highly recommend", "these tacos are sick", "the burger was insane",
              "the pho is stupid good", "the wings were fire", "This place is killer!",
              "Never had better pizza anywhere.", "hard to beat these prices",
              "the cake is to die for", "this cake should be illegal", "the brownies are sinful",
              "their pizza is no joke", "the ramen is nuts", "They killed it tonight",
              "you guys are killing it", "so obsessed with their bagels", "I could die happy after that meal"]
# The same words about the wait, the staff, the prices or an illness stay complaints.
NOT_SLANG = ["the wait was insane", "the tacos made me sick", "I got sick after eating the tacos",
             "our waiter was a killer, so rude", "the salt killed it", "the prices should be illegal",
             "the wait is no joke", "the prices are nuts", "the manager is obsessed with rules",
             "loved that sandwich but they killed it"]


@pytest.mark.parametrize("register", ["review", "news", "social"])
def test_food_slang_that_praises_is_no_complaint_but_the_same_words_about_harm_are(scorer, register):
    assert [t for t in FOOD_SLANG if plain_vader_label(t) != "negative"] == []  # what VADER got wrong
    assert alerts(scorer, FOOD_SLANG, register) == []
    assert read_otherwise(scorer, NOT_SLANG, register, "negative") == []
    if register == "social":  # VADER leads there: the slang reads as the praise it is
        assert read_otherwise(scorer, FOOD_SLANG, register, "positive") == []


# Swearing that praises (VADER: shit -2.6, hell -3.6, ass -2.5, stupid -2.4), and the same words
# in complaints.
SWEARING_PRAISE = ["you get a shit ton of food for the price", "the portions are stupid big",
                   "hell yes they have vegan options", "hell of a deal for lunch", "sick ass burger"]
SWEARING_COMPLAINTS = ["one hell of a wait for cold fries", "the wait was stupid long", "this place is shit",
                       "what the hell, my order is wrong again"]


@pytest.mark.parametrize("register", ["review", "news", "social"])
def test_swearing_that_praises_is_no_complaint(scorer, register):
    assert [t for t in SWEARING_PRAISE if plain_vader_label(t) != "negative"] == []  # VADER's error
    assert alerts(scorer, SWEARING_PRAISE, register) == []
    assert read_otherwise(scorer, SWEARING_COMPLAINTS, register, "negative") == []


# An app's or a tool's praise (App Store reviews, Hacker News), in words of harm (dead -3.3, killer
# -3.3, crushes -1.9, "no"), and its complaints in the same words, or hidden by "support" (+1.7).
APP_PRAISE = ["Dead simple setup, took five minutes.", "The killer feature is the offline mode.",
              "It just works, no bugs so far.", "Their API is stupidly fast.", "It crushes the competition on price."]
APP_PRAISE_THE_MODEL_MISREAD = ["Support fixed the bug within an hour."]
APP_COMPLAINTS = ["The app crashes every time I open it.", "Their support ignored my ticket for two weeks.",
                  "They never fixed the bug.", "The update killed the app.", "The screen is dead after a week."]


@pytest.mark.parametrize("register", ["review", "news", "social"])
def test_an_app_s_praise_in_words_of_harm_is_no_alert(scorer, register):
    assert [t for t in APP_PRAISE if plain_vader_label(t) != "negative"] == []  # VADER's error
    praise = APP_PRAISE + APP_PRAISE_THE_MODEL_MISREAD
    assert alerts(scorer, praise, register) == []
    assert read_otherwise(scorer, APP_COMPLAINTS, register, "negative") == []


# Praise as the absence of a complaint, or a problem put right: plain VADER reads "no" as -1.2 where
# it does not know the next word ("no issues", "no fuss"), flips the comparative after a negation
# ("could not have been nicer") and reads "problem", "broken" and "pain" wherever they stand.
PRAISE_IN_WORDS_OF_A_COMPLAINT = [
    "No issues with the delivery.", "No hassle, no fuss.", "No fuss, great service.",
    "Service was quick with no delays.", "No surprises on the bill.", "There is no need to tip.",
    "Connecting to wifi took no time at all.", "Zero complaints.", "There was no line.",
    "No wait on a Saturday night!", "The staff could not have been nicer.",
    "The service could not have been better.", "The staff couldn't be friendlier.",
    "Nothing was too much trouble for them.", "They fixed the problem right away.",
    "They fixed my broken phone screen in 20 minutes.", "My back pain is gone after two sessions.",
    "I was skeptical but they nailed it.", "Sad to leave!",
    "The plumber showed up on time and fixed the leak in ten minutes.", "The massage got rid of my back pain.",
    # the idioms of praise ("recommend" after "can't", "good" after "nothing", "riot", "low")
    "I can't recommend them enough.", "Couldn't recommend them more.", "Would not hesitate to recommend.",
    "I have nothing but praise for the staff.", "I have nothing but good things to say.",
    "I can't say enough good things about them.", "Don't let the outside fool you.", "Our server was a riot.",
    "Prices are insanely low.", "No wonder they're always busy.", "I'll never get my hair cut anywhere else.",
    "This place is dangerous for my wallet.", "I was starving and the portions were huge.",
    "It was crazy busy but the food came out fast.",
    "Done in 40 minutes, no upselling.", "If you're in the area, Harbor Lane is worth a stop.",
    "Our flight was delayed so we arrived late, but the front desk had kept our room.",
    "the burgers are bussin no cap",  # VADER: "no" -1.2
    # "could not be more" flipped like "could not have been", and the praise of a place found late or
    # too far away
    "We could not be more pleased with the result.", "I couldn't be more happy with how it turned out.",
    "Could not be more satisfied with their work.", "I cannot be happier with the service.",
    "Don't let the long line scare you, it moves fast.", "My only regret is not coming here sooner.",
    "It's a shame we don't live closer.", "The only bad thing is that we live so far away.",
    "I'd kill for one of their croissants right now", "I'm sad it took me so long to try it",
    "shoutout to the guy at the front desk who fixed my reservation mess",
    "I was having a terrible day and the barista made it better",
    # the harm an experience promises
    "The axe throwing was a blast.", "The horror movie marathon was a blast.",
    "The tattoo hurt less than I expected.", "The piercing barely hurt.", "Brutal workout, loved it.",
]
# The same words in complaints stay complaints.
COMPLAINTS_IN_THE_SAME_WORDS = [
    "They never fixed the problem.", "The problem was never fixed.",
    "They said they fixed the problem but it broke again the next day.", "There was no wait staff in sight.",
    "The staff couldn't have been more rude.", "My only complaint is the parking.",
    "They rushed us through dinner.", "They never fixed the leak.", "We couldn't get rid of the smell for days.",
    "The stains never came out.", "The update still hasn't fixed the crash.",
    "I can't recommend this place.", "I couldn't recommend them to anyone.", "Would not recommend.",
    "I have nothing but problems with this phone.", "They cut my hair way too short.",
    "The tattoo hurt for days and the artist was rude.", "The piercer was rough and it hurt a lot.",
    "The workout was brutal and the trainer ignored me.",
    "I couldn't be more disappointed with the service.", "Could not be more unhappy with this place.",
    "The staff couldn't be bothered to help us.", "My only regret is coming here at all.",
    "It's a shame the service was so slow.", "Don't let the good reviews fool you.",
    "We had a terrible day at the water park, half the rides were closed.",
    "Holy crap, the service was awful.",
]


@pytest.mark.parametrize("register", ["review", "news", "social"])
def test_praise_in_the_words_of_a_complaint_is_no_alert(scorer, register):
    assert [t for t in PRAISE_IN_WORDS_OF_A_COMPLAINT if plain_vader_label(t) != "negative"] == []  # VADER's error
    assert alerts(scorer, PRAISE_IN_WORDS_OF_A_COMPLAINT, register) == []
    assert read_otherwise(scorer, COMPLAINTS_IN_THE_SAME_WORDS, register, "negative") == []


# Praise and a business's rules that the model alone read as complaints in reviews, on the words the
# review sets tie to complaints ("went out", "fixed", "not", "no"): a domain phrase reads each
# sentence ("went out of their way", "fixed the crash", "paid off", "no dress code", "not included"),
# VADER finds nothing negative left, and the model's word weights no longer overrule that.
PRAISE_AND_RULES_THE_MODEL_MISREAD = [
    "They went out of their way to accommodate my allergy.", "The update fixed the crash on startup.",
    "The trainer pushed me hard but it paid off.", "The place was packed but they found us a table.",
    "not gonna lie the wait was worth it", "The vet squeezed us in on a Saturday.",
    "idk why people hate on this place, it's fine", "rip to my favorite taco truck, they closed for good",
    "Tips are not included.", "The salon does not take walk-ins.", "There is no dress code.",
    "The cafe now offers oat milk at no extra charge.",
    "The hotel received a four-star rating from the state tourism board.",
    "Nothing beats their bagels.", "I would not go anywhere else.",
    "can't believe I waited this long to try this place",
    "The taco truck only takes cash.", "The bakery sells out of croissants by ten on weekends.",
]
# Social praise in slang VADER does not know: it read each as nothing.
SLANG_PRAISE = ["ngl the tacos slapped", "this place slaps", "this place is a vibe",
                "can confirm, the brisket is legit", "10/10 would eat here again", "this place is goated",
                "their customer service is elite", "their fries hit different", "the owner is a gem",
                "this place is a hidden gem"]
# The same phrases beside a complaint, and the complaints in the words of the slang.
COMPLAINTS_BESIDE_THE_PHRASES = [
    "They went out of their way to be rude.", "The update fixed the crash but now it won't load.",
    "I would never eat here again.", "This place is trash.", "The tacos were 1/10.",
    "The bar's liquor license was suspended for 30 days.", "The store received my return but never refunded me.",
]


@pytest.mark.parametrize("register", ["review", "news", "social"])
def test_praise_and_rules_a_phrase_reads_are_no_alert(scorer, register):
    misread = PRAISE_AND_RULES_THE_MODEL_MISREAD
    assert alerts(scorer, misread, register) == []
    assert read_otherwise(scorer, COMPLAINTS_BESIDE_THE_PHRASES, register, "negative") == []


def test_slang_praise_reads_as_praise_in_social_posts(scorer):
    assert [t for t in SLANG_PRAISE if plain_vader_label(t) == "positive"] == []  # VADER did not know it
    assert read_otherwise(scorer, SLANG_PRAISE, "social", "positive") == []


# Slang complaints plain VADER misses or reads as praise (its "l" is +2.0); a letter that names a
# train or a size is no verdict either way.
SLANG_COMPLAINTS = ["took an L ordering from here tonight", "the ick when the waiter sneezed on our plates",
                    "the wings were kinda sus ngl", "the audacity to charge $7 for a coffee",
                    "imagine paying $30 for this", "it's giving overpriced", "The app is down again."]


@pytest.mark.parametrize("register", ["review", "news", "social"])
def test_slang_complaints_are_complaints_and_a_letter_is_no_praise(scorer, register):
    assert [t for t in SLANG_COMPLAINTS if plain_vader_label(t) == "negative"] == []  # VADER's miss
    assert read_otherwise(scorer, SLANG_COMPLAINTS, register, "negative") == []
    assert scorer.score("Take the L train to Bedford.", register=register).label == "neutral"
    assert scorer.score("Imagine paying less than $10 for a lunch this good.", register=register).label != "negative"


# Praise in words VADER does not know ("tasty", "cozy", "attentive", "thorough", "blown away"): no
# alert in any register, praise on a social post; negated, each is a complaint everywhere.
PRAISE_VADER_DOES_NOT_KNOW = [
    "The food was tasty.", "The tech was thorough and punctual.", "The place is tiny but cozy.",
    "The fish was a little overcooked but still tasty.", "Service was attentive and the food came out quickly.",
    "I didn't expect much but was blown away.", "There's nothing I would change.",
]
NEGATED_PRAISE = [
    "The fries weren't crispy.", "The staff was not very attentive.", "Not very accommodating.",
    "The waiter wasn't polite.", "The room was not as spotless as the photos.", "The chicken wasn't juicy at all.",
]


@pytest.mark.parametrize("register", ["review", "news", "social"])
def test_praise_in_words_vader_does_not_know_and_its_negation(scorer, register):
    assert [t for t in PRAISE_VADER_DOES_NOT_KNOW + NEGATED_PRAISE if plain_vader_label(t) == "negative"] == []
    assert alerts(scorer, PRAISE_VADER_DOES_NOT_KNOW, register) == []
    assert read_otherwise(scorer, NEGATED_PRAISE, register, "negative") == []
    if register == "social":
        assert read_otherwise(scorer, PRAISE_VADER_DOES_NOT_KNOW, register, "positive") == []


# Praise VADER reads backwards or not at all ("unmatched" -0.3, "blew", "melts" and "noise" the
# model ties to complaints): no alert in any register, praise on a social post. Beside them, the
# complaints in the same words (a machine's noise, a room too loud to talk, food served raw).
PRAISE_IDIOMS = [
    "The pizza here is unmatched.", "Unbeatable prices for the quality.", "Their customer service is second to none.",
    "The tasting menu blew me away.", "The chef knocked it out of the park tonight.", "The seasoning was on point.",
    "Our server's recommendations were spot on.", "This app is a game changer for our team.",
    "They went the extra mile to fix my order.", "The hotel exceeded our expectations.",
    "The short rib literally melts in your mouth.", "It's a no-brainer if you need a plumber.",
    "The new blender doesn't make any noise.", "The fridge is not noisy at all.", "The dishwasher is whisper quiet.",
]
COMPLAINTS_IN_THE_IDIOMS_WORDS = [
    "The AC makes a loud noise all night.", "The music was so loud we couldn't hear each other.",
    "We couldn't hear our server over the music.", "The chicken was raw in the middle.", "The burger came raw.",
    "There was a spot on my glass and a hair in my soup.",
]


@pytest.mark.parametrize("register", ["review", "news", "social"])
def test_praise_idioms_are_no_alert_and_the_same_words_complaining_are(scorer, register):
    assert alerts(scorer, PRAISE_IDIOMS, register) == []
    assert read_otherwise(scorer, COMPLAINTS_IN_THE_IDIOMS_WORDS, register, "negative") == []
    if register == "social":
        assert read_otherwise(scorer, PRAISE_IDIOMS, register, "positive") == []


# The commonest words of praise VADER lacks, or has only as boosters that carry no valence
# ("incredible", "exceptional"): each was nothing to it, and a "but" before one made the praise a
# complaint. Beside them, complaints VADER read as praise or nothing ("joke" +1.2, "laughable" +0.2,
# "support" +1.7, no "poorly", no "far from"), and facts in the same words.
PRAISE_VADER_LACKS = [
    "The food was incredible.", "Service was exceptional.", "Phenomenal tacos.", "The view is spectacular.",
    "The staff were stellar.", "The room was pristine.", "Top-notch service.", "Their brisket is legendary.",
    "The checkout was seamless.", "Their service is dependable and timely.", "This app rocks.",
    "It's small and cramped but the food is out of this world.",
    "Service was a little slow but the food more than made up for it.",
    "I don't usually like eggplant but this was incredible.", "The staff never let our glasses go empty.",
    "The only problem is deciding what to order.", "The dessert menu is dangerous.",
    "No need to worry, they handle everything.", "Don't miss the happy hour.",
]
COMPLAINTS_VADER_READ_AS_PRAISE = [
    "This place is a joke.", "What a joke of a restaurant.", "The service was laughable.",
    "Are you kidding me? $20 for a burger.", "Customer support never answered my emails.",
    "Full of empty promises.", "The manager made excuses instead of fixing it.",
    "They promised to call back and never did.", "Poorly made, it broke in a week.",
    "The lobby is dingy and smells musty.", "Hidden fees everywhere.", "The service was far from exceptional.",
    "The wait was incredible, two hours for a table.", "The steak was tough, not tender at all.",
    "The food used to be incredible but it has gone downhill.",
]
FACTS_IN_THOSE_WORDS = ["Happy hour is 4 to 6.", "The shop promises next-day delivery.",
                        "The hotel is not far from the beach."]


def test_vader_has_incredible_only_as_a_booster_of_no_valence(scorer):
    assert plain_vader_label("The food was incredible.") == "neutral"
    assert scorer.score("The food was incredible.", register="social").compound > 0.5
    # "incredibly", which the domain lexicon leaves alone, still intensifies the word after it.
    good = scorer.score("The food was good.", register="social").compound
    assert scorer.score("The food was incredibly good.", register="social").compound > good


@pytest.mark.parametrize("register", ["review", "news", "social"])
def test_praise_vader_lacks_is_no_alert_and_complaints_it_read_as_praise_are(scorer, register):
    assert alerts(scorer, PRAISE_VADER_LACKS, register) == []
    assert read_otherwise(scorer, COMPLAINTS_VADER_READ_AS_PRAISE, register, "negative") == []
    assert read_otherwise(scorer, FACTS_IN_THOSE_WORDS, register, "neutral") == []


# Sarcasm, warnings and lukewarm verdicts, as social posts complain: a word of praise around the
# complaint ("Thanks for nothing.", "Good luck getting a refund."), VADER's negation of a word of harm
# ("Don't waste your time.", "Don't bother.") or a "better" ("Could have been better."): each was
# praise or nothing on a social post. Beside them, the same words praising.
SARCASM_AND_WARNINGS = [
    "Thanks for nothing.", "Gotta love waiting 45 minutes for a coffee.",
    "Nothing like cold fries after a 30 minute wait.", "Thanks for ruining my birthday dinner.",
    "Good luck getting anyone on the phone.", "Good luck getting a refund.", "Way to go, charging me twice.",
    "Nice job forgetting half my order.", "Real professional, hanging up on a customer.",
    "Don't bother.", "Don't waste your time.", "Do not go here.", "Skip it.", "1 star is generous.",
    "It looks nothing like a burger.",
    # lukewarm verdicts VADER read as praise by their "better" or "like"
    "Could have been better.", "I've had better.", "The service left a lot to be desired.",
    "I wanted to like this place.", "Not what it used to be.", "Should've read the reviews.", "I expected more.",
]
PRAISE_IN_THE_SAME_WORDS = [
    "Thanks for fixing my order so fast.", "Great job on the cake!", "Good luck to the new owners!",
    "Gotta love their breakfast burritos.", "Nothing like a hot coffee on a cold morning.",
    "Nothing like cold beer on a hot day.", "Good luck finding a better pizza in town.",
    "You gotta love being greeted by name.", "Don't skip the dessert.", "Order online and skip the line.",
    "It could not have been better.",
]


@pytest.mark.parametrize("register", ["review", "news", "social"])
def test_sarcasm_and_warnings_are_complaints_and_the_same_words_praising_are_not(scorer, register):
    assert read_otherwise(scorer, SARCASM_AND_WARNINGS, register, "negative") == []
    assert alerts(scorer, PRAISE_IN_THE_SAME_WORDS, register) == []


# Not knowing, as replies on a forum say it: plain VADER reads "no" as -1.2 and flips "sure"
# after "not", so each was an alert; the staff not knowing stays a complaint.
NOT_KNOWING = ["No idea, never been there.", "Not sure if they're open today.",
               "Not sure about the vegan options, you'd have to ask."]
STAFF_NOT_KNOWING = ["They had no idea what they were doing.", "The staff had no clue."]


@pytest.mark.parametrize("register", ["news", "social"])
def test_not_knowing_is_no_complaint_but_the_staff_not_knowing_is(scorer, register):
    assert [t for t in NOT_KNOWING if plain_vader_label(t) != "negative"] == []  # what VADER got wrong
    assert read_otherwise(scorer, NOT_KNOWING, register, "neutral") == []
    assert read_otherwise(scorer, STAFF_NOT_KNOWING, register, "negative") == []


# Laughter beside a complaint, as social posts write it: plain VADER reads lol (+1.8), lmao (+2.9)
# and haha (+2.0) as praise and calls each of these positive; laughter beside praise stays praise.
LAUGHING_COMPLAINTS = ["lol the app crashed again", "lmao my order is wrong again",
                       "lol they forgot my fries again", "haha the coffee was cold AGAIN"]
LAUGHING_PRAISE = ["lol the new menu is awesome", "haha love it", "lol so good", "lmao best tacos ever"]


def test_laughter_beside_a_complaint_is_no_praise(scorer):
    assert [t for t in LAUGHING_COMPLAINTS if plain_vader_label(t) != "positive"] == []  # what VADER got wrong
    assert read_otherwise(scorer, LAUGHING_COMPLAINTS, "social", "negative") == []
    assert read_otherwise(scorer, LAUGHING_PRAISE, "social", "positive") == []


# What trades whose own words are harm to VADER do, and complaints about them in the same words.
TRADE_STATEMENTS = [
    "The funeral home handled the arrangements for my father.",
    "We held the funeral service in their chapel.",
    "She is a grief counselor and a therapist.",
    "I see her for anxiety and depression.",
    "They offer stress management classes.",
    "They offer trauma therapy.",
    "The clinic treats chronic pain.",
    "He is a personal injury lawyer in Springfield.",
    "The firm handles personal injury and car accident cases.",
    "The law firm does criminal defense and DUI cases.",
    "Our emergency plumber came at midnight.",
    "The locksmith came out for an emergency lockout.",
    "The body shop repaired the collision damage.",
    "They specialize in water damage restoration.",
    "They handle fire and water damage.",
    "Pressure washing the deck took two hours.",
    "She cut and colored my hair.",
    "The fire pit on the patio is lit in the evening.",
    "The crash course runs for two weeks.",
    "It charges quickly.",
    "The chiropractor adjusted my lower back and neck.",
    "The physical therapist gave me exercises for my knee injury.",
    "The florist delivers arrangements for weddings and funerals.",
    "The hardware store cuts keys and mixes paint.",
    "The vet removed a tumor from our cat.",
    "The clinic offers flu shots on a walk-in basis.",
    "The tree service cut down the dead oak in our yard.",
    "The plumber unclogged the drain and replaced the garbage disposal.",
    "The junk removal crew hauled away the old couch.",
    "The tow truck came after my car broke down on the highway.",
    "The restaurant serves a blackened catfish and dirty rice.",
    "The climbing gym has tough routes.",
    "The wings are dangerously spicy.",
    "The plumber snaked the drain and replaced the trap.",
    "The restaurant had its grease trap cleaned last week.",
    "The app works offline once the maps are downloaded.",
    "The daycare closes at 6 and charges for late pickup.",
]
# News of a business's good cause, in the words of the cause's harm.
GOOD_CAUSES = [
    "The brewery is raising money for hurricane victims.",
    "The gym is hosting a fundraiser for breast cancer awareness.",
    "The store is raising money for victims of the fire.",
    "The diner hosted a fundraiser for a local boy fighting leukemia.",
    "The owner opened the shop after surviving breast cancer.",
    "The shop lost its lease and is moving to Main Street.",
]
TRADE_COMPLAINTS = [
    "The funeral home lost my father's death certificate.",
    "The funeral director was disrespectful to my mother.",
    "The emergency plumber never showed up.",
    "The injury lawyer never returned my calls.",
    "The pain clinic was rude and overbooked.",
    "The grief counselor was cold and dismissive.",
    "My therapist keeps canceling our sessions.",
    "The locksmith overcharged us for an emergency lockout.",
    "The body shop botched the collision repair.",
    "The restoration company left mold behind after the water damage cleanup.",
    "The pressure washing damaged the paint on our deck.",
    "The exterminator didn't kill the roaches.",
    "The plumber caused water damage in our kitchen.",
    "The hotel room had water damage and mold.",
    "The dentist caused me so much pain.",
    "Emergency crews responded to a fire at the bakery.",
    "They cut back on staff and it shows.",
    "They cut down on the portion sizes.",
    "They sold me a dead battery.",
    "I got the flu after staying there.",
    "The place smelled like garbage.",
    "My back pain got worse after the massage.",
    "I left with more knee pain than before.",
    "The dealer sold me a car that broke down a week later.",
    "Fire victims say the landlord ignored the broken smoke alarms.",
    "A fire destroyed the restaurant last night.",
    "This place is a tourist trap.",
    "The grease trap overflowed and the kitchen smelled awful.",
    "The website was offline all day and I couldn't order.",
    "They charged me for late checkout even though we left at 11.",
    "The fire marshal shut down the bar for overcrowding.",
    "The food truck was shut down by the city.",
]


@pytest.mark.parametrize("register", ["review", "news", "social"])
def test_a_trade_s_own_words_are_no_complaint_but_harm_done_in_them_is(scorer, register):
    """A funeral home, a therapist, an injury lawyer, a pain clinic, an emergency plumber, a tree
    service: every mention of them held VADER's words of harm ("funeral", "grief", "injury", "pain",
    "emergency", "dead"), and so did news of a business's good cause ("hurricane victims")."""
    statements = {text: scorer.score(text, register=register).label for text in TRADE_STATEMENTS}
    assert [t for t, label in statements.items() if label != "neutral"] == []
    causes = {text: scorer.score(text, register=register).label for text in GOOD_CAUSES}
    assert [t for t, label in causes.items() if label == "negative"] == []
    complaints = {text: scorer.score(text, register=register).label for text in TRADE_COMPLAINTS}
    assert [t for t, label in complaints.items() if label != "negative"] == []
    for praise in ("The exterminator killed all the roaches.", "The deli makes a killer Reuben.",
                   "They have the lowest prices in town."):
        assert scorer.score(praise, register=register).label != "negative"


# A menu's dishes and a trade's things that VADER's lexicon holds as words of harm or scorn
# ("dumplings" -0.3, "pita" -2.4, "deviled" -1.6, "pain" -2.3, "jerk" -1.4, "smog" -1.2, "rob" -2.6):
# every mention of a dumpling house or a bakery's pain au chocolat was an alert.
THINGS_NAMED_IN_WORDS_OF_HARM = [
    "We ordered the pork dumplings and a pot of tea.",
    "The falafel comes in a pita with tahini.",
    "The beef tenderloin is served with mashed potatoes.",
    "I had the shrimp po boy and a sweet tea.",
    "We had the deviled eggs as an appetizer.",
    "The bakery makes pain au chocolat every morning.",
    "The jerk chicken comes with rice and peas.",
    "They serve a bloody mary with brunch.",
    "They have devils food cupcakes on Fridays.",
    "The angry lobster is a whole lobster with chili.",
    "We tried the bitter melon stir fry.",
    "The Eton mess is strawberries, cream and meringue.",
    "The pizza is cooked in a wood fired oven.",
    "They stop seating at ten.",
    "I got a chocolate shake and a cheeseburger.",
    "Rob at the front desk checked us in.",
    "We took the car in for a smog check.",
    "They replaced the shocks and struts on my truck.",
    "The massage therapist worked on my sore shoulders.",
    "The clinic runs a weight loss program.",
    "The spa uses witch hazel in the facials.",
    "The hair salon specializes in dreadlocks and braids.",
    "They have a lost and found at the front desk.",
    "The mechanic fixed the blind spot monitor.",
    "The alarm company installed motion sensors.",
    "They have hard seltzer and cider on tap.",
    "Drop in yoga classes are $15.",
    "Still nothing beats their pizza.",
    "We booked the murder mystery dinner for Saturday.",
    "The haunted house opens on October first.",
    "We took the ghost tour of the old town.",
    "The IT company handles backups and disaster recovery.",
    "The bank has a fraud department you can call at any hour.",
    "The garage does collision repair and paintwork.",
    "The spa offers Dead Sea mud wraps.",
    "They fix broken zippers.",
    "The shop repairs cracked phone screens.",
    "The roofer repairs storm damaged roofs.",
]
COMPLAINTS_ABOUT_THOSE_THINGS = [
    "The dumplings were cold and greasy.",
    "The pita was stale and the hummus was sour.",
    "The deviled eggs were rotten.",
    "The po boy was soggy and bland.",
    "The waiter was a jerk to us.",
    "They rob you blind on parts and labor.",
    "Rob was rude to my wife and refused a refund.",
    "I left with a sore neck and a headache.",
    "They lost my paperwork twice.",
    "The smog check took three hours and they still failed me for nothing.",
    "The gravel they put down washed away in a week.",
    "The emergency vet kept us waiting four hours.",
    "Their bleach caused hair loss.",
    "The food quality took a drop in the last year.",
    "There has been a big drop in quality since the new owners.",
    "Ordered an hour ago and still nothing.",
    "The murder mystery dinner was a disaster and the food was cold.",
    "They committed fraud on my card after I ate there.",
    "The ghost tour guide was rude and showed up late.",
    "They never fixed the broken heater in our room.",
    "The phone came back with a cracked screen.",
    "The tailor ripped my jeans even more.",
]


@pytest.mark.parametrize("register", ["review", "news", "social"])
def test_dishes_and_a_trade_s_things_named_in_words_of_harm_are_no_alert(scorer, register):
    assert alerts(scorer, THINGS_NAMED_IN_WORDS_OF_HARM, register) == []
    assert read_otherwise(scorer, COMPLAINTS_ABOUT_THOSE_THINGS, register, "negative") == []


# Businesses named in words of sentiment: (name, news of it, a complaint about it).
NAMED_IN_SENTIMENT = [
    ("Dirty Dozen Brewing", "Dirty Dozen Brewing released a new IPA this week.",
     "Dirty Dozen Brewing was rude to us and the beer was flat."),
    ("Bad Ass Coffee", "Bad Ass Coffee opened in the mall.", "Bad Ass Coffee burned my latte and the barista ignored me."),
    ("Ugly Mug Cafe", "The Ugly Mug Cafe is hiring baristas.", "The Ugly Mug Cafe never refunded my order."),
    ("Le Pain Quotidien", "Le Pain Quotidien opens on Main Street in May.", "Le Pain Quotidien served us stale bread."),
    ("Crazy Bowls", "crazy bowls moved to elm street", "crazy bowls got my order wrong again"),
    ("Happy Lemon", "Happy Lemon has a new drink.", "Happy Lemon was awful, the tea was cold."),
    ("Hell's Kitchen Bistro", "Hells Kitchen Bistro has a new chef.", "Hell's Kitchen Bistro overcharged us."),
]


@pytest.mark.parametrize("register", ["review", "news", "social"])
def test_a_watched_name_is_read_as_a_name_not_for_its_words(register):
    named = SentimentScorer(names=[name for name, _, _ in NAMED_IN_SENTIMENT])
    unnamed = SentimentScorer()
    news = {text: named.score(text, register=register).label for _, text, _ in NAMED_IN_SENTIMENT}
    assert [t for t, label in news.items() if label != "neutral"] == []
    complaints = {text: named.score(text, register=register).label for _, _, text in NAMED_IN_SENTIMENT}
    assert [t for t, label in complaints.items() if label != "negative"] == []
    # Without the names most of that news was a verdict (what this is for).
    assert sum(unnamed.score(text, register=register).label != "neutral" for text in news) >= 5
    # The name is gone only for the readers: the sentence is kept as written.
    verdict = named.score("Bad Ass Coffee burned my latte and the barista ignored me.", register=register)
    assert verdict.driver == "Bad Ass Coffee burned my latte and the barista ignored me."


# Staff a review names, whose given names are words of praise to VADER.
STAFF_COMPLAINTS = ["Joy was our server and she was rude.", "Our server Grace ignored us all night.",
                    "Faith at the front desk never called us back.", "Our waitress Joy forgot our order twice."]
STAFF_PRAISE = ["Grace was amazing, ask for her!", "Ask for Joy, she is the best."]
NOT_NAMES = ["The joy of a warm croissant.", "Faith in humanity restored.", "Joy! They finally reopened."]


@pytest.mark.parametrize("register", ["review", "news", "social"])
def test_a_given_name_that_is_a_word_of_praise_is_read_as_a_person(scorer, register):
    assert read_otherwise(scorer, STAFF_COMPLAINTS, register, "negative") == []
    assert read_otherwise(scorer, STAFF_PRAISE + NOT_NAMES, register, "positive") == []


def test_a_name_reads_as_a_word_neither_reader_knows():
    from pipeline.sentiment import NAME_STAND_IN

    scorer = SentimentScorer(names=["Dirty Dozen"])
    assert scorer.unnamed("We met at DIRTY-DOZEN's taproom.") == f"We met at {NAME_STAND_IN}'s taproom."
    assert scorer.unnamed("Joy was rude. Our server Grace too; joy, Grace!") == (
        f"{NAME_STAND_IN} was rude. Our server {NAME_STAND_IN} too; joy, {NAME_STAND_IN}!")
    assert NAME_STAND_IN.lower() not in load_model().vocabulary
    assert NAME_STAND_IN.lower() not in scorer._analyzer.lexicon


def test_the_register_comes_from_the_source_type():
    assert {register_of(t) for t in ("reddit", "hackernews", "mastodon", "bluesky")} == {"social"}
    assert register_of("feed") == "news"
    assert {register_of(t) for t in ("reviews", "yelp", "google_business", "trustpilot", "appstore",
                                     "google_play", "appstore_connect")} == {"review"}
    assert register_of("something new") == register_of(None) == "review"
    from crawlers.config import SOURCE_TYPES

    assert set(SOURCE_TYPES) <= set(BY_SOURCE_TYPE)  # a new source type is given a register on purpose


def test_each_register_has_its_own_calibration():
    model = load_model()
    assert set(model.calibration) == {"review", "social", "news"}
    assert len(set(model.calibration.values())) > 1
    assert model.calibration["social"][CALIBRATION_KEYS.index("vader_led")] == 1.0  # VADER leads on social posts
    assert model.calibration["review"][CALIBRATION_KEYS.index("vader_led")] == 0.0


def test_the_training_grid_scores_as_the_pipeline_does():
    """The calibration is chosen with a vectorized copy of the register's rule: it must be the same rule."""
    np = pytest.importorskip("numpy")
    from pipeline.training.train_scorer import register_scores

    rng = np.random.default_rng(22)
    gate, polarity = rng.normal(0, 2, 500), rng.normal(0, 3, 500)
    compound = np.round(rng.uniform(-1, 1, 500) * rng.integers(0, 2, 500), 4)  # half without VADER evidence
    for register, values in load_model().calibration.items():
        calibration = dict(zip(CALIBRATION_KEYS, values))
        vectorized = register_scores(gate, polarity, compound, calibration)
        for g, p, c, expected in zip(gate, polarity, compound, vectorized):
            n = 1 / (1 + np.exp(-(g + calibration["neutral_shift"])))
            q = 1 / (1 + np.exp(-(calibration["polarity_scale"] * p + calibration["vader_weight"] * c
                                  + calibration["polarity_shift"])))
            probabilities = ((1 - n) * (1 - q), n, (1 - n) * q)
            assert register_score(*probabilities, c, values) == pytest.approx(expected, abs=1e-4), register


def test_a_review_complaint_without_vader_s_words_counts_when_the_polarity_head_is_sure():
    """"The plot goes nowhere": no word VADER knows, but the polarity head is sure it judges negatively."""
    calibration = dict(zip(CALIBRATION_KEYS, load_model().calibration["review"]))
    assert calibration["polarity_alone"] < 1  # the shipped review register uses the rule (above 1: never)
    calibration.update(model_alone=0.9, polarity_alone=0.85, evidence_compound=-0.05, positive_evidence=0.5)
    values = tuple(calibration[key] for key in CALIBRATION_KEYS)
    # P(negative) 0.6 alone is not sure enough, but 0.6 of the 0.65 that judges is (0.92 >= 0.85).
    assert register_score(0.6, 0.35, 0.05, 0.0, values) == pytest.approx(-0.55)
    # Torn between the two (0.6 of 0.95: 0.63), it stays neutral without VADER's evidence...
    assert register_score(0.6, 0.05, 0.35, 0.0, values) == 0.0
    # ...and VADER's evidence alone still makes it a complaint.
    assert register_score(0.6, 0.05, 0.35, -0.3, values) == pytest.approx(-0.25)


def test_the_shipped_model_stays_under_five_megabytes_and_loads():
    assert MODEL_PATH.stat().st_size + MODEL_PATH.with_suffix(".json").stat().st_size < 5_000_000
    model = _read_model(MODEL_PATH)  # read from disk, not the process's cached copy
    assert model.lexical.shape[1] == 2 and len(model.gate[0]) > 0 and set(model.calibration) == {
        "review", "social", "news"}
    meta = json.loads(MODEL_PATH.with_suffix(".json").read_text(encoding="utf-8"))
    assert "semeval2014_laptops.tsv" in meta["trained_on"]


def test_a_lower_threshold_alerts_less_and_more_surely():
    gold = ["negative", "negative", "neutral", "negative", "positive", "neutral"]
    scores = [-0.9, -0.6, -0.2, -0.1, 0.5, 0.0]
    curve = {p["threshold"]: p for p in threshold_curve(gold, scores, [-0.05, -0.5])}
    assert (curve[-0.05]["precision"], curve[-0.05]["recall"]) == (0.75, 1.0)
    assert (curve[-0.5]["precision"], curve[-0.5]["recall"]) == (1.0, round(2 / 3, 4))


def test_the_default_threshold_is_chosen_for_precision_and_keeps_social_posts_at_vader_s_f1():
    np = pytest.importorskip("numpy")
    from pipeline.training.train_scorer import NEGATIVE, NEUTRAL, choose_threshold

    def labeled_set(complaints, others, vader_led=False):
        """A calibration set whose texts score as given. Model-led: gate logits far from neutral,
        polarity logits whose P(positive) - P(negative) is the score, VADER's negative evidence in
        each. VADER-led: the score is VADER's compound."""
        scores = np.array([*complaints, *others])
        gold = np.array([NEGATIVE] * len(complaints) + [NEUTRAL] * len(others))
        if vader_led:
            return np.zeros(len(scores)), np.zeros(len(scores)), scores, gold
        return np.full(len(scores), -30.0), np.log((1 + scores) / (1 - scores)), np.full(len(scores), -1.0), gold

    model_led = {"neutral_shift": 0.0, "polarity_scale": 1.0, "vader_weight": 0.0, "polarity_shift": 0.0,
                 "vader_led": 0.0, "evidence_compound": -0.05, "positive_evidence": 0.5, "model_alone": 0.9,
                 "veto": 1.1, "polarity_alone": 1.1}
    # Eight clear complaints, two mild ones, and six mild remarks that are no complaint: from -0.2
    # down nothing but complaints alert (precision 1.0, recall 0.8, against 0.625 and 1.0 at -0.05).
    mild_remarks = labeled_set([-0.9] * 8 + [-0.1] * 2, [-0.1] * 6 + [0.0] * 4)
    assert choose_threshold("review", model_led, [mild_remarks], [{"negative_f1": 0.5}]) == -0.2
    # Half the complaints mild: -0.2 is still the more precise (1.0 against 0.77) at half the
    # recall, so reviews take it; social posts may not lose negative F1 below plain VADER's (here
    # 0.85; 0.67 at -0.2 against 0.87 at -0.05), so they keep -0.05.
    complaints, others = [-0.9] * 5 + [-0.1] * 5, [-0.1] * 3 + [0.0] * 7
    assert choose_threshold("review", model_led, [labeled_set(complaints, others)], [{"negative_f1": 0.85}]) == -0.2
    # A difference in F0.5 within the noise of a retraining (0.005) is a tie, won by the more
    # precise threshold: 170 clear complaints, 60 mild ones and 19 mild remarks give F0.5 0.9380
    # at -0.05 (precision 0.92) and 0.9341 from -0.2 (precision 1.0).
    near_tie = labeled_set([-0.9] * 170 + [-0.1] * 60, [-0.1] * 19 + [0.0] * 50)
    assert choose_threshold("review", model_led, [near_tie], [{"negative_f1": 0.5}]) == -0.2
    vader_led = {**model_led, "vader_led": 1.0, "model_alone": 1.1}
    social = labeled_set(complaints, others, vader_led=True)
    assert choose_threshold("social", vader_led, [social], [{"negative_f1": 0.85}]) == -0.05
    assert choose_threshold("social", vader_led, [social], [{"negative_f1": 0.5}]) == -0.2
    # ...nor on the sets they are checked on besides (the dev sets read as social posts): one whose
    # complaints are all clear does not bind; one where -0.2 loses half the complaints does.
    clear = labeled_set([-0.9] * 10, [0.0] * 10, vader_led=True)
    assert choose_threshold("social", vader_led, [social], [{"negative_f1": 0.5}],
                            checks=[(clear, {"negative_f1": 0.9})]) == -0.2
    assert choose_threshold("social", vader_led, [social], [{"negative_f1": 0.5}],
                            checks=[(clear, {"negative_f1": 0.9}), (social, {"negative_f1": 0.85})]) == -0.05


def test_left_unset_each_register_alerts_at_its_own_threshold_from_the_model():
    model = load_model()
    assert set(model.alert_thresholds) == {"review", "social", "news"}
    assert all(-1 <= threshold <= -0.05 for threshold in model.alert_thresholds.values())
    default, configured = SentimentScorer(), SentimentScorer(negative_threshold=-0.05)
    for register in ("review", "social", "news"):
        assert default.threshold_for(register) == model.alert_threshold(register)
        assert configured.threshold_for(register) == -0.05
    with pytest.raises(ValueError, match="above every register"):
        SentimentScorer(positive_threshold=model.alert_threshold("social"))


def test_a_threshold_configured_for_one_register_leaves_the_others_their_own():
    model = load_model()
    scorer = SentimentScorer(negative_threshold={"social": -0.5})
    assert scorer.threshold_for("social") == -0.5
    assert scorer.threshold_for("review") == model.alert_threshold("review")
    assert scorer.threshold_for("news") == model.alert_threshold("news")
    # VADER reads "Very meh." at -0.15: an alert at the social register's own threshold, not at -0.5.
    assert model.alert_threshold("social") > -0.15
    assert SentimentScorer().score("Very meh.", register="social").label == "negative"
    assert scorer.score("Very meh.", register="social").label == "neutral"
    with pytest.raises(ValueError, match="names no register 'tweets'"):
        SentimentScorer(negative_threshold={"tweets": -0.5})


def _labeled(tmp_path):
    path = tmp_path / "labeled.tsv"
    path.write_text(
        "text\tlabel\tregister\n"
        "The food was cold and the waiter was rude.\tnegative\tyelp\n"
        "The shop is closed on Mondays.\tneutral\treview\n"
        "worst. service. EVER. 😡\tnegative\treddit\n"
        "The city council approved the new bike lane on Main Street.\tneutral\tfeed\n"
        "Loved the brunch!!! 😍\tpositive\tsocial\n",
        encoding="utf-8",
    )
    return path


def test_eval_reports_neutral_recall_and_each_register(tmp_path, scorer):
    path = _labeled(tmp_path)
    result = evaluate_file(path, scorer)
    labels = [scorer.score(t, register=r).label for t, r in (
        ("The shop is closed on Mondays.", "review"),
        ("The city council approved the new bike lane on Main Street.", "news"))]
    assert result["neutral_recall"] == labels.count("neutral") / 2
    assert set(result["per_register"]) == {"review", "social", "news"}
    assert {r: v["count"] for r, v in result["per_register"].items()} == {"review": 2, "social": 2, "news": 1}
    assert result["per_register"]["news"]["neutral_recall"] == float(labels[1] == "neutral")
    assert result["per_register"]["social"]["negative_precision"] == 1.0  # the shouted complaint
    assert "per_register" not in evaluate_file(path.write_text(
        "text\tlabel\nThe shop is closed on Mondays.\tneutral\n", encoding="utf-8") and path, scorer)


def test_eval_curve_prints_precision_and_recall_at_each_threshold(tmp_path):
    result = run_cli("eval", "--curve", str(_labeled(tmp_path)), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    thresholds = [point["threshold"] for point in metrics["curve"]]
    assert thresholds == sorted(thresholds, reverse=True) and -0.05 in thresholds
    assert all({"precision", "recall", "alerts"} <= set(point) for point in metrics["curve"])
    alerts = [point["alerts"] for point in metrics["curve"]]
    assert alerts == sorted(alerts, reverse=True)  # a lower threshold never alerts more
    assert "per_register" in metrics and "neutral_recall" in metrics
    # Each register's own curve, to choose its threshold by (alerts.threshold: {social: -0.3}): of
    # the two social posts, the shouted complaint alerts at -0.05 and the praise does not; the
    # registers' alerts add up to the file's at every threshold.
    curves = {register: figures["curve"] for register, figures in metrics["per_register"].items()}
    social = {point["threshold"]: point for point in curves["social"]}
    assert (social[-0.05]["alerts"], social[-0.05]["recall"], social[-0.05]["precision"]) == (1, 1.0, 1.0)
    assert [sum(points) for points in zip(*([p["alerts"] for p in curve] for curve in curves.values()))] == alerts


def test_the_pipeline_reads_each_mention_in_its_source_s_register(tmp_path, scorer):
    from datetime import UTC, datetime

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from pipeline.flow import MentionFlow
    from pipeline.items import MentionItem
    from pipeline.match import BusinessMatcher
    from pipeline.models import Business, Mention, Source
    from pipeline.store import open_engine
    from pipeline.writer import AlertPolicy, MentionWriter

    engine = open_engine(f"sqlite:///{tmp_path / 'store.db'}")
    with Session(engine) as session, session.begin():
        session.add(Business(id=1, name="Joe's Donuts"))
        for source_id, kind in ((1, "feed"), (2, "reddit"), (3, "yelp")):
            session.add(Source(id=source_id, business_id=1, type=kind, identity=f"{kind}:x",
                               http_validators={}, cursor={}))
    flow = MentionFlow(needs_match={1: True, 2: True, 3: True},
                       matchers={"Joe's Donuts": BusinessMatcher(["Joe's Donuts"])}, scorer=scorer,
                       writer=MentionWriter(engine, {"Joe's Donuts": 1}, AlertPolicy(max_age_days=36500)))
    texts = {"feed": "Joe's Donuts raised its prices again and the lines are long.",
             "reddit": "Joe's Donuts coffee was sooo cold today :(",
             "yelp": "Joe's Donuts has the best maple bars, friendly staff too."}
    flow.process(MentionItem(business="Joe's Donuts", source_type=kind, url=f"https://{kind}.example.com/1",
                             text=texts[kind], published_at=datetime(2026, 11, 1, tzinfo=UTC), source_id=source_id)
                 for source_id, kind in ((1, "feed"), (2, "reddit"), (3, "yelp")))
    flow.finish()
    with Session(engine) as session:
        stored = dict(session.execute(select(Mention.url, Mention.sentiment)).all())
    engine.dispose()
    registers = {"feed": "news", "reddit": "social", "yelp": "review"}
    expected = {f"https://{kind}.example.com/1": scorer.score(texts[kind], register=registers[kind]).sentiment
                for kind in texts}
    assert stored == pytest.approx(expected)
    # Read as a review instead, at least one would have scored otherwise: the register counted.
    assert any(scorer.score(texts[kind]).sentiment != expected[f"https://{kind}.example.com/1"]
               for kind in ("feed", "reddit"))


def test_the_shipped_model_keeps_the_floors_it_was_chosen_by():
    """The figures the training script recorded for the shipped file, at each register's default
    threshold: no set with neutral texts loses its statements (neutral recall 0.40, issue 22's
    goal), none alerts less surely than plain VADER, and social posts read no worse than VADER."""
    meta = json.loads(MODEL_PATH.with_suffix(".json").read_text(encoding="utf-8"))
    recorded = {**meta["cross_validation"], **meta["dev"]}
    three_class = ["semeval2014_laptops.tsv", "semeval2017_task4a_tweets.tsv", "movie.tsv", "nyt.tsv"]
    for name in three_class:
        ours, vader = recorded[name]["ours_at_default_threshold"], recorded[name]["plain_vader"]
        assert ours["neutral_recall"] >= 0.40, name
        assert ours["negative_precision"] >= vader["negative_precision"], name
    tweets = recorded["semeval2017_task4a_tweets.tsv"]
    assert tweets["ours_at_default_threshold"]["negative_f1"] >= tweets["plain_vader"]["negative_f1"]


# Food gone wrong in words VADER lacks ("sour", "wilted", "spoiled", "gristle", "slimy", "at best"),
# and the dishes, drinks and facts that share those words.
FOOD_NAMES_AND_PLACES = [
    "They top the nachos with sour cream and salsa.",
    "I ordered the whiskey sour and a plate of wings.",
    "The wilted spinach salad comes with bacon and a warm dressing.",
    "We were spoiled for choice with the dessert menu.",
    "The place was packed when we arrived around eight.",
    "The restaurant used to be a bank.",
    "This spot used to be a diner in the fifties.",
    "At its best this is the finest bakery in the state.",
]
FOOD_GONE_WRONG = [
    "The milk in my latte was sour.",
    "The salad was wilted and the dressing was sour.",
    "The chicken was spoiled and I got sick.",
    "The steak was full of gristle.",
    "The oysters were slimy and smelled off.",
    "The pizza was average at best.",
    "The staff did nothing to help us.",
    "The manager did nothing about the mistake.",
    "Our waiter never came back after taking our order.",
]


@pytest.mark.parametrize("register", ["review", "news", "social"])
def test_food_gone_wrong_is_a_complaint_and_the_dishes_in_its_words_are_not(scorer, register):
    assert alerts(scorer, FOOD_NAMES_AND_PLACES, register) == []
    assert read_otherwise(scorer, FOOD_GONE_WRONG, register, "negative") == []
