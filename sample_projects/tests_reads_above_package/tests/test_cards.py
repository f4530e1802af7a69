import report_cards


def test_the_card_names_the_student():
    assert report_cards.render("Ada") == "Report card for Ada\n"
