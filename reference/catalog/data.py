"""The catalog `load_catalog` installs: what a laundry in an Indian city charges (INR)."""

from decimal import Decimal

CATEGORIES = [
    {
        "name": "Wash & Fold",
        "description": "Everyday clothes machine-washed, dried and folded. Priced by weight.",
        "icon": "washing-machine",
        "items": [
            ("Wash & Fold - Regular Clothes", "Shirts, T-shirts, trousers and innerwear.",
             "89.00", "kg", 48),
            ("Wash & Fold - Bedsheets & Towels", "Bed linen, pillow covers and towels.",
             "99.00", "kg", 48),
            ("Wash & Fold - Premium Delicates", "Gentle cycle with mild detergent.",
             "149.00", "kg", 72),
            ("Wash & Fold - Express", "Same-day turnaround for everyday clothes.",
             "129.00", "kg", 24),
        ],
    },
    {
        "name": "Wash & Iron",
        "description": "Washed, dried and steam-pressed, returned on hangers or folded.",
        "icon": "tshirt-crew",
        "items": [
            ("Shirt Wash & Iron", "Formal or casual shirt.", "49.00", "piece", 48),
            ("Trouser Wash & Iron", "Formal trousers, jeans or chinos.", "59.00", "piece", 48),
            ("Kurta Wash & Iron", "Cotton or linen kurta.", "69.00", "piece", 48),
            ("Wash & Iron by Weight", "Mixed everyday clothes, washed and pressed.",
             "119.00", "kg", 48),
        ],
    },
    {
        "name": "Dry Cleaning",
        "description": "Solvent cleaning for fabrics that water would harm.",
        "icon": "hanger",
        "items": [
            ("Saree Dry Clean - Silk", "Silk or heavy work saree, rolled or folded.",
             "349.00", "piece", 96),
            ("Saree Dry Clean - Cotton", "Cotton or synthetic saree.", "199.00", "piece", 72),
            ("Suit Dry Clean (2-piece)", "Blazer and trousers.", "449.00", "set", 96),
            ("Sherwani Dry Clean", "Sherwani with churidar.", "699.00", "set", 120),
            ("Lehenga Dry Clean", "Lehenga, choli and dupatta.", "899.00", "set", 120),
            ("Blanket Dry Clean - Double", "Double-bed blanket or quilt.", "399.00", "piece", 96),
        ],
    },
    {
        "name": "Steam Ironing",
        "description": "Steam press only, for clothes that are already clean.",
        "icon": "iron",
        "items": [
            ("Shirt Steam Iron", "Shirt or T-shirt.", "15.00", "piece", 24),
            ("Trouser Steam Iron", "Trousers or jeans.", "15.00", "piece", 24),
            ("Saree Steam Iron", "Cotton or silk saree.", "59.00", "piece", 24),
        ],
    },
    {
        "name": "Shoe & Bag Care",
        "description": "Deep cleaning and conditioning for shoes and bags.",
        "icon": "shoe-sneaker",
        "items": [
            ("Sneaker Cleaning", "Deep clean of canvas or leather sneakers.",
             "299.00", "pair", 72),
            ("Leather Shoe Polish & Care", "Clean, condition and polish.", "249.00", "pair", 72),
            ("Handbag Cleaning", "Leather or fabric handbag.", "499.00", "piece", 120),
        ],
    },
]


def catalog_rows() -> list[dict]:
    """Return the catalog with prices as Decimal, in display order."""
    return [
        {
            "name": category["name"],
            "description": category["description"],
            "icon": category["icon"],
            "display_order": order,
            "items": [
                {
                    "name": name,
                    "description": description,
                    "base_price": Decimal(price),
                    "unit": unit,
                    "processing_time": hours,
                }
                for name, description, price, unit, hours in category["items"]
            ],
        }
        for order, category in enumerate(CATEGORIES, start=1)
    ]
