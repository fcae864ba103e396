"""The words the bench partnership is made of: names, places, services, needs, reasons."""

GIVEN = [
    "Amina",
    "Ben",
    "Chloe",
    "Daniel",
    "Ella",
    "Faisal",
    "Grace",
    "Harry",
    "Isla",
    "Jack",
    "Kavya",
    "Leo",
    "Maya",
    "Noah",
    "Olivia",
    "Priya",
    "Quinn",
    "Ravi",
    "Sofia",
    "Tom",
    "Uma",
    "Victor",
    "Wen",
    "Yusuf",
    "Zara",
    "Aled",
    "Bethan",
    "Ciaran",
    "Deepa",
    "Eilidh",
]


FAMILY = [
    "Ahmed",
    "Brown",
    "Clarke",
    "Davies",
    "Evans",
    "Fraser",
    "Green",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Morgan",
    "Nowak",
    "O'Brien",
    "Patel",
    "Quinn",
    "Roberts",
    "Singh",
    "Taylor",
    "Usman",
    "Walker",
    "Wright",
    "Young",
    "Zielinski",
]


PLACES = [
    "Ashbrook",
    "Calder",
    "Hollins",
    "Kirkby",
    "Millford",
    "Riverside",
    "Oakfield",
    "Stanton",
    "Wyke",
    "Thornley",
    "Ellerby",
    "Brampton",
    "Copley",
    "Dalton",
    "Fenwick",
    "Garside",
    "Hebden",
    "Ingleby",
    "Lindley",
    "Marsden",
]


SUFFIXES = ("Green", "Moor", "Bank", "Side", "Vale", "Park", "Hill", "Cross", "End", "Fields")


SERVICE_WORDS = {
    "food": ("Food Bank", "Community Pantry", "Hot Meals"),
    "housing": ("Housing Advice", "Tenancy Support", "Homelessness Prevention"),
    "money-and-debt": ("Debt Advice", "Benefits Check", "Money Coaching"),
    "mental-wellbeing": ("Talking Therapies", "Wellbeing Group", "Peer Support"),
    "loneliness-and-isolation": ("Befriending", "Lunch Club", "Telephone Friends"),
    "physical-activity": ("Walking Group", "Health Walks", "Chair Exercise"),
    "employment-and-skills": ("Job Club", "Skills Coaching", "Volunteering Pathways"),
    "carers": ("Carers Support", "Carers Café", "Respite Breaks"),
    "digital-inclusion": ("Digital Help", "Tablet Lending", "Online Skills"),
    "domestic-abuse": ("Domestic Abuse Support", "IDVA Service", "Safe Space"),
    "substance-use": ("Recovery Service", "Alcohol Advice", "Harm Reduction"),
    "children-and-families": ("Family Hub", "Parenting Support", "Early Help"),
}


# How often each need comes up, most common first (by the taxonomy's slugs).
NEED_WEIGHTS = {
    "money-and-debt": 22,
    "mental-wellbeing": 18,
    "housing": 15,
    "food": 12,
    "loneliness-and-isolation": 10,
    "carers": 6,
    "employment-and-skills": 5,
    "physical-activity": 4,
    "children-and-families": 3,
    "digital-inclusion": 2,
    "domestic-abuse": 2,
    "substance-use": 1,
}


DECLINE_REASONS = (
    ("no-capacity", 35),
    ("not-eligible", 25),
    ("unable-to-contact", 15),
    ("resident-declined", 10),
    ("duplicate", 5),
    ("other", 10),
)


OUTCOMES = (("need-met", 60), ("partly-met", 20), ("not-met", 8), ("disengaged", 12))


SUMMARIES = (
    "Struggling with bills since a change in hours; would like advice.",
    "Lives alone and has been feeling isolated since a bereavement.",
    "Needs support with a tenancy that is at risk.",
    "Low mood for several months; interested in a group.",
    "Food insecure this month after a benefit delay.",
    "Carer for a parent, needs a break and advice.",
)
