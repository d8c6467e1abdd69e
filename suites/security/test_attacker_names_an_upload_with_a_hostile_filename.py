"""Image upload: whatever the client names its file (path traversal, a double extension, NUL,
300 characters, a right-to-left override), the server stores the photo under a name it makes
itself; nothing of the client's name reaches the URL."""

from urllib.parse import unquote

import allure
import pytest

pytestmark = [pytest.mark.security]

RLO = "\u202e"  # right-to-left override: "invoice\u202egpj.php" shows as "invoicephp.jpg"

# each case: the filename sent, and the parts of it that must not reach the stored URL
HOSTILE = {
    "path-traversal": ("../../x.jpg", ["..", "x.jpg"]),
    "double-extension": ("a.php.jpg", [".php", "a.php"]),
    "nul-byte": ("x.php\x00.jpg", ["\x00", ".php", "x.php"]),
    "300-characters": ("N" * 296 + ".jpg", ["NNNNNNNN"]),
    "right-to-left-override": (f"invoice{RLO}gpj.php", [RLO, "invoice", ".php"]),
}


@allure.feature("Security: image upload")
@allure.story("Hostile filenames")
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_attacker_names_an_upload_with_a_hostile_filename(customer, photos, case):
    # given a photo under an ordinary name is stored (positive control)
    customer.uploads.upload_image(photos.jpeg(), filename="garment.jpg")
    filename, fragments = HOSTILE[case]

    # when the attacker uploads a real photo under the hostile name
    image = customer.uploads.upload_image(photos.jpeg(), filename=filename)

    # then it is stored under a name the server made: no part of the client's name is in its
    # URLs, and they serve the photo
    for url in (image["url"], image["thumbnail_url"]):
        shown = unquote(url)
        leaked = [part for part in fragments if part in shown or part in url]
        assert not leaked, f"{case}: the stored URL {url!r} carries {leaked!r} of {filename!r}"
        customer.uploads.image_bytes(url)
