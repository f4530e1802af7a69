from invoice_totals import total


def test_total_without_discount():
    assert total([100, 250]) == 350


def test_total_with_discount():
    assert total([100, 250], discount=50) == 300
