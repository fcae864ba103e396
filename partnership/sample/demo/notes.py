"""What people write in the demo's stories: referral summaries, messages between the two
sides, and the notes left on declining, cancelling and completing."""

from partnership.models import DeclineReason, Outcome

SUMMARIES = {
    "food": [
        "No money for food until Universal Credit is paid in nine days. Lives alone; has a "
        "microwave but no working cooker.",
        "Lost shifts at work this month. Two adults and three children at home; one child "
        "is coeliac.",
        "Benefit sanction for a missed appointment: no income for four weeks. Cannot walk "
        "far, so needs a delivery.",
        "Has been skipping meals so the children can eat. Gas meter is on emergency credit.",
        "Home from hospital after a fall and cannot get to the shops. No family nearby.",
        "Waiting for a first Universal Credit payment after losing their job. Household of "
        "two adults.",
        "Pension Credit claim still being processed and the cupboards are empty. Diabetic.",
    ],
    "money-and-debt": [
        "Council tax arrears and a letter from enforcement agents this week.",
        "Behind on rent and energy after a relationship ended; income has halved.",
        "Several catalogue and credit card debts; only paying the most pressing ones.",
        "Not claiming anything beyond the State Pension: may be due Pension Credit and "
        "Attendance Allowance.",
        "Borrowed from a doorstep lender to pay for a funeral and cannot keep up.",
        "Universal Credit deductions for an old overpayment leave too little to live on.",
    ],
    "mental-wellbeing": [
        "Low mood for several months since losing their job; sleeping badly.",
        "Anxiety has stopped them leaving the house most days. Would like a group to ease "
        "back into things.",
        "Bereaved this year and struggling. Not at risk, but would value someone to talk to.",
        "Stress at work and at home; has asked for help before it gets worse.",
        "Panic attacks on public transport, which makes getting to work difficult.",
    ],
    "housing": [
        "Section 21 notice received; must leave in eight weeks. Two children at school locally.",
        "Damp and mould in the flat are making a child's asthma worse; landlord not responding.",
        "Sofa-surfing with friends since leaving the family home.",
        "Rent has gone up by £150 a month and they cannot cover it.",
        "Can no longer manage the stairs at home after a stroke; needs advice on moving.",
    ],
    "loneliness-and-isolation": [
        "Lives alone since their partner died and rarely sees anyone.",
        "Moved to the area last year and knows no one nearby.",
        "Stopped going out after a fall; says the days feel very long.",
        "Cares for nobody now and misses the company of the day centre that closed.",
    ],
    "carers": [
        "Caring full time for a parent with dementia and exhausted.",
        "Looks after a partner with MS; has not had a break in over a year.",
        "Cares for an adult son with a learning disability and worries about the future.",
    ],
    "physical-activity": [
        "Type 2 diabetes; would like to get more active but lacks confidence.",
        "Recovering from a knee operation; physio suggested gentle walking.",
        "Gained weight since stopping work and wants to build a routine.",
    ],
    "employment-and-skills": [
        "Out of work for two years and wants help with a CV and applications.",
        "Lost a warehouse job; has never applied for work online.",
        "Wants to get back to work after years caring for a relative.",
    ],
    "digital-inclusion": [
        "Has been told to manage their Universal Credit online but has no device.",
        "Has a tablet from family but does not know how to use it for video calls.",
        "Wants to book GP appointments online and order repeat prescriptions.",
    ],
    "substance-use": [
        "Drinking more since losing their job; wants to cut down.",
        "Asked for help with cannabis use that is affecting work.",
    ],
    "children-and-families": [
        "Young parent struggling with a new baby and no family support nearby.",
        "Needs somewhere safe to live after a family breakdown.",
    ],
    "domestic-abuse": [
        "Disclosed controlling behaviour by a partner; wants to talk to someone safely.",
    ],
}


# (only for: a need, "interpreter" or anyone; who starts; what they write; the reply)
CONVERSATIONS = [
    (
        None,
        "recipient",
        "We have tried to call twice without an answer. Is there a better time or another number?",
        "Afternoons are best. If there is no answer, try the landline.",
    ),
    (
        "food",
        "recipient",
        "Can the resident collect, or do they need a delivery?",
        "A delivery, please: they cannot manage the bus at the moment.",
    ),
    (
        None,
        "referrer",
        "Just checking this has arrived: the resident asked me about it today.",
        "Yes, it is with us. We will call them this week.",
    ),
    (
        "interpreter",
        "recipient",
        "Should we book an interpreter for the first appointment?",
        "Yes, please. They would prefer a face-to-face appointment to a phone call.",
    ),
    (
        None,
        "referrer",
        "Things have got harder for the resident since I referred: could they be seen sooner?",
        "We will see them first thing next week.",
    ),
    (None, "recipient", "We have been in touch and booked a first appointment.", None),
]


WITHDRAWN = [
    "The resident found help elsewhere",
    "The resident no longer wants this referral",
    "Sent to the wrong service by mistake",
    "The resident has moved out of the area",
]


CANCELLED_BY_REFERRER = [
    "The resident has gone into hospital for a long stay",
    "The resident has moved out of the area",
]


CANCELLED_BY_RECIPIENT = [
    "The resident asked us to close the referral",
    "The resident has moved away and is now supported by another team",
]


DECLINE_NOTES = {
    DeclineReason.NO_CAPACITY: ["No places until next month", ""],
    DeclineReason.NOT_ELIGIBLE: ["Outside the age range for this service", ""],
    DeclineReason.UNABLE_TO_CONTACT: ["Three calls and a letter over two weeks, no reply", ""],
    DeclineReason.RESIDENT_DECLINED: ["The resident said they did not want this now", ""],
    DeclineReason.DUPLICATE: ["Already referred by another team last week", ""],
    DeclineReason.OTHER: [
        "Needs specialist support we cannot offer: suggest the community mental health team",
        "We can only help people registered with the practice",
    ],
}


OUTCOME_NOTES = {
    Outcome.NEED_MET: ["", "Support finished and the resident is managing well."],
    Outcome.PARTLY_MET: ["", "Some of what they needed is sorted; the rest is with another team."],
    Outcome.NOT_MET: ["", "We could not help with this: it needs specialist advice."],
    Outcome.DISENGAGED: ["", "Stopped coming after two sessions and has not replied since."],
}
