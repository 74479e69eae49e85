"""Words, places and weights that the synthetic generator draws from."""

from __future__ import annotations

import numpy as np

# One top-level category per block: "name | modifiers | variants", then one indented
# line per subcategory, "name: leaf product nouns". Modifiers (materials, styles) and
# variants (colours, scents, sizes) build the titles; substitutes differ in the variant.
TAXONOMY = """
Home & Kitchen | Ceramic, Stainless Steel, Glass, Bamboo, Cast Iron, Enamel, Stoneware,
    Non-Stick | Black, White, Grey, Navy, Red, Sage, Cream, Teal
  Tableware: Coffee Mug, Dinner Plate, Cereal Bowl, Wine Glass
  Cookware: Frying Pan, Saucepan, Stock Pot, Wok
  Kitchen Storage: Food Container, Spice Jar, Bread Bin, Lunch Box
  Kitchen Tools: Chopping Board, Whisk, Peeler, Colander
  Coffee & Tea: Teapot, Cafetiere, Coffee Grinder, Tea Infuser
Garden & Outdoors | Weatherproof, Galvanised, Wooden, Recycled, Folding, Heavy-Duty,
    Rattan, Solar | Green, Black, Grey, Terracotta, Natural, Blue, Olive, Stone
  Gardening Tools: Trowel, Pruning Shears, Garden Rake, Watering Can
  Plant Care: Plant Pot, Plant Feed, Seed Tray, Compost Bin
  Outdoor Living: Garden Chair, Parasol, Hammock, Fire Pit
  Barbecue: Charcoal Grill, Grill Brush, Skewer Set, BBQ Apron
  Bird Care: Bird Feeder, Bird Bath, Nest Box, Bird Table
Sports & Fitness | Lightweight, Pro, Compact, Reflective, Padded, Insulated, Waterproof,
    Ergonomic | Black, Blue, Red, Lime, Orange, Purple, Grey, Pink
  Yoga: Yoga Mat, Yoga Block, Yoga Strap, Meditation Cushion
  Strength Training: Dumbbell, Kettlebell, Resistance Band, Weight Bench
  Running: Running Belt, Water Bottle, Armband, Head Torch
  Cycling: Bike Light, Bike Lock, Cycling Helmet, Saddle Bag
  Camping: Tent, Sleeping Bag, Camping Stove, Lantern
Toys & Games | Wooden, Classic, Deluxe, Travel, Magnetic, Glow-in-the-Dark, Junior,
    Family | Dinosaur, Space, Pirate, Unicorn, Jungle, Ocean, Farm, Castle
  Puzzles: Jigsaw Puzzle, Puzzle Cube, Floor Puzzle, Puzzle Mat
  Board Games: Strategy Game, Card Game, Dice Set, Chess Set
  Building Toys: Building Blocks, Marble Run, Construction Kit, Train Set
  Outdoor Play: Kite, Frisbee, Skipping Rope, Water Pistol
  Arts & Crafts: Crayon Set, Modelling Clay, Sticker Book, Paint Set
Office & Stationery | Recycled, Premium, A5, A4, Leather, Eco, Slim, Refillable | Black,
    Blue, Red, Green, Kraft, White, Navy, Pastel
  Writing: Ballpoint Pen, Fountain Pen, Pencil Case, Highlighter Set
  Paper & Notebooks: Notebook, Sketchbook, Sticky Notes, Envelope Pack
  Desk Accessories: Desk Organiser, Desk Lamp, Monitor Stand, Mouse Mat
  Filing: Ring Binder, Document Wallet, Filing Box, Label Maker
  Printing: Ink Cartridge, Printer Paper, Toner Cartridge, Photo Paper
Beauty & Personal Care | Organic, Vegan, Sensitive, Hydrating, Travel-Size, Natural,
    Salon, Gentle | Lavender, Rose, Citrus, Coconut, Mint, Vanilla, Aloe, Sandalwood
  Skincare: Face Cream, Cleanser, Face Serum, Sheet Mask
  Hair Care: Shampoo, Conditioner, Hair Brush, Hair Oil
  Bath & Body: Bath Bomb, Shower Gel, Body Lotion, Hand Soap
  Fragrance: Perfume, Body Mist, Scented Candle, Reed Diffuser
  Shaving: Razor, Shaving Foam, Beard Oil, Aftershave
Pet Supplies | Grain-Free, Durable, Orthopaedic, Natural, Chew-Proof, Washable,
    Reflective, Senior | Small, Medium, Large, Extra Large, Puppy, Adult, Mini, Giant
  Dog Supplies: Dog Lead, Dog Bed, Chew Toy, Dog Bowl
  Cat Supplies: Cat Litter, Scratching Post, Cat Toy, Cat Carrier
  Pet Food: Dry Dog Food, Wet Cat Food, Dog Treats, Bird Seed
  Aquarium: Fish Tank, Aquarium Filter, Fish Food, Aquarium Gravel
  Small Animals: Hamster Cage, Rabbit Hutch, Hay Bale, Exercise Wheel
Electronics | Wireless, Fast-Charge, Compact, Rugged, Noise-Cancelling, Slim, Magnetic,
    Portable | Black, White, Silver, Graphite, Midnight Blue, Rose Gold, Space Grey, Red
  Audio: Headphones, Bluetooth Speaker, Earbuds, Soundbar
  Charging: USB-C Cable, Power Bank, Wall Charger, Wireless Charger
  Computer Accessories: Keyboard, Mouse, USB Hub, Webcam
  Phone Accessories: Phone Case, Screen Protector, Phone Stand, Car Mount
  Smart Home: Smart Plug, Smart Bulb, Door Sensor, Video Doorbell
"""


def _words(text: str) -> list[str]:
    """Split a comma-separated word list; long lists read better as one string."""
    return text.split(", ")


BRANDS = _words(
    "Northwind, Acme, Brightwell, Oakhaven, Kestrel, Luma, Fenwick, Marlow, Tidewater, "
    "Corvid, Halden, Quillon, Redfern, Everly, Nordby, Sable & Co"
)

# Pack sizes and series names make some titles need RFC 4180 quoting (a comma, a
# double quote), as real catalogue exports do.
SUFFIXES = (", Pack of 2", ", Pack of 3", ", Set of 4", " (Large)", " (Small)")
SERIES = ('"Classic"', '"Heritage"', '"Studio"', '"Essentials"')

_UNCOUNTABLE = frozenset(
    _words("Food, Litter, Paper, Gravel, Clay, Seed, Feed, Foam, Gel, Oil, Aftershave")
)
_IRREGULAR_PLURALS = {"Mouse": "Mice"}

COUNTRIES = _words(
    "United Kingdom, Germany, France, Netherlands, Ireland, Spain, Belgium, Sweden, "
    "Norway"
)
COUNTRY_WEIGHTS = np.array([0.71, 0.07, 0.06, 0.04, 0.04, 0.03, 0.02, 0.02, 0.01])

# Relative order volume Monday to Sunday, and by hour of the day (UTC).
WEEKDAY_WEIGHTS = np.array([1.0, 0.97, 0.95, 0.98, 1.05, 1.2, 1.25])
HOUR_WEIGHTS = np.concatenate(
    [
        [2, 1, 1, 1, 1, 2, 4, 6, 8, 9, 10, 11],  # midnight to 11:00
        [12, 11, 10, 10, 10, 11, 12, 14, 15, 13, 9, 5],  # noon to 23:00
    ]
).astype(np.float64)
# Quantities per line: mostly 1 to 3, now and then a bulk buy.
QUANTITIES = np.array([1, 2, 3, 4, 5, 6, 8, 10, 12, 24])
QUANTITY_WEIGHTS = np.array(
    [0.62, 0.2, 0.08, 0.03, 0.02, 0.015, 0.01, 0.01, 0.01, 0.005]
)
QUANTITY_TEXT = np.array([str(q) for q in range(QUANTITIES.max() + 1)], dtype=object)

#: Share of titles that get a pack-size suffix, and of those that get a series name.
SUFFIX_SHARE = 0.15
SERIES_SHARE = 0.05


def pluralise(noun: str) -> str:
    """Return the plural of an English product noun such as ``Coffee Mug``."""
    head, _, last = noun.rpartition(" ")
    if last in _IRREGULAR_PLURALS:
        last = _IRREGULAR_PLURALS[last]
    elif last in _UNCOUNTABLE or last.endswith("s"):
        pass
    elif last.endswith(("ch", "sh", "x")):
        last += "es"
    elif last.endswith("y") and last[-2:-1] not in "aeiou":
        last = last[:-1] + "ies"
    else:
        last += "s"

    return f"{head} {last}" if head else last


def parse_taxonomy() -> list[tuple[str, list[str], list[str], list[tuple[str, ...]]]]:
    """Parse :data:`TAXONOMY` into ``(top, modifiers, variants, subcategories)``."""
    blocks: list[tuple[str, list[str], list[str], list[tuple[str, ...]]]] = []
    header = ""
    for line in TAXONOMY.strip("\n").splitlines():
        if line.startswith("    "):  # continuation of a top-level header
            header += " " + line.strip()
        elif line.startswith("  "):
            if header:
                top, modifiers, variants = (p.strip() for p in header.split("|"))
                blocks.append((top, modifiers.split(", "), variants.split(", "), []))
                header = ""

            sub, nouns = line.strip().split(": ")
            blocks[-1][3].append((sub, *nouns.split(", ")))
        else:
            header = line

    return blocks
